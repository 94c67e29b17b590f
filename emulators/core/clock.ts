/**
 * Milliseconds since the epoch; `Date.now` is one. Every emulator takes it as its `now` option
 * so a test can hold or move time (test/helpers/manual-clock.ts) for the timestamps it reports.
 * It lives here rather than in src/ because an emulator must not import the scaler.
 */
export type Clock = () => number;
