import type { HookTimers } from '../../emulators/ado/hook-timers';
import type { Clock } from '../../src/time/clock';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/**
 * A clock a test moves by hand: `now` for timestamps, `schedule` for waits (the ADO emulator's
 * `now` and `hookTimers`). Nothing happens until `advance` or `runNext`, so hours of ADO's
 * probation schedule pass in one test step, and every timestamp is exact.
 */
export class ManualClock implements HookTimers {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(private time = Date.parse('2026-01-05T09:00:00.000Z')) {}

  /** The scaler's `Clock` (src/time/clock.ts), which the emulators' clocks share the shape of. */
  readonly now: Clock = () => this.time;

  schedule(run: () => void, ms: number): () => void {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, run };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** How long until the next timer is due; undefined when none is waiting. */
  nextDueIn(): number | undefined {
    const next = this.ordered()[0];
    return next === undefined ? undefined : next.at - this.time;
  }

  /** Moves to the next timer's time and runs it (and any due at that same time); answers the ms moved. */
  runNext(): number {
    const wait = this.nextDueIn();
    if (wait === undefined) throw new Error('ManualClock: no timer is waiting');
    this.advance(wait);
    return wait;
  }

  /** Moves time forward by `ms`, running each timer due on the way at its own time, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let next = this.ordered()[0]; next !== undefined && next.at <= end; next = this.ordered()[0]) {
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.run();
    }
    this.time = end;
  }

  private ordered(): Timer[] {
    return [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}
