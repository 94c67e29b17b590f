/**
 * The clock hook delivery waits on: real timers by default, or one a test moves (see
 * `test/helpers/manual-clock.ts`), so ADO's schedule of minutes and hours runs in no time.
 */
export interface HookTimers {
  /** Calls `run` once `ms` have passed on this clock; answers a function that cancels it. */
  schedule(run: () => void, ms: number): () => void;
}

export const realTimers: HookTimers = {
  schedule(run, ms) {
    const timer = setTimeout(run, ms);
    // A probation retry hours away must not keep a process alive that has nothing else to do.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * ADO's retries of a transient failure (408, 502, 503, 504, no answer): eight, about 1, 2, 4, 8,
 * 16, 32, 60 and 60 s apart (azure-devops-docs, docs/service-hooks/troubleshoot.md).
 */
export const ADO_HOOK_RETRY_DELAYS_MS: readonly number[] = [1, 2, 4, 8, 16, 32, 60, 60].map((s) => s * 1000);

/**
 * ADO's retries of a subscription on probation: seven, about 20 min, 40 min, 1 h 20, 2 h 40,
 * 5 h 20, 10 h 40 and 15 h apart (the same page); after the seventh fails it is disabledBySystem.
 */
export const ADO_HOOK_PROBATION_DELAYS_MS: readonly number[] = [20, 40, 80, 160, 320, 640, 900].map((m) => m * 60_000);
