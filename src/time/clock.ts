/**
 * Milliseconds since the epoch; `Date.now` is one. Every decision of the scaler that depends on
 * time (idle grace, back-offs, lease and token expiry, the PAT's time to live, signal windows,
 * orphan grace) reads one injected clock, built once per process in src/runtime/, so that a test
 * can move time instead of waiting through it.
 */
export type Clock = () => number;

/**
 * The wall clock, read through the global `Date` at each call rather than bound once: the bench
 * replaces `Date` with a faster one (scripts/bench/time-warp.ts), and the scaler must follow it.
 */
export const systemClock: Clock = () => Date.now();
