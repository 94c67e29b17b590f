import type { Clock } from '../../src/time/clock';

/**
 * The wall clock plus an offset the test moves forward. Unlike ManualClock, time keeps flowing,
 * so the emulators' own timers (agents, deliveries, polls) run as usual; `advance` skips a
 * grace, a back-off or a signal window that the scaler (and the emulators given the same `now`)
 * would otherwise be waited through.
 */
export class OffsetClock {
  private offsetMs = 0;

  readonly now: Clock = () => Date.now() + this.offsetMs;

  advance(ms: number): void {
    this.offsetMs += Math.max(0, ms);
  }
}
