import type { BaseFault } from '../../emulators/core/faults';

/**
 * Faults that last a while, as real bursts do, rather than a count of calls: the emulators fail
 * the next N calls, however late they come, and a client that backs off would meet them minutes
 * later. Each window fails every matching call within it and none after it. A window lasts
 * `seconds`, and longer (up to `maxSeconds`) until `atLeast` calls have failed: a pool backing
 * off, or between timer ticks, may make no call for a while, and a fault nobody met proves nothing.
 */
export interface WindowLength {
  readonly seconds: number;
  readonly atLeast: number;
  readonly maxSeconds: number;
}

/** An emulator on the shared fault core (emulators/core/faults.ts): ARM and Kubernetes here. */
export interface FaultTarget<F extends BaseFault> {
  injectFault(fault: F): void;
  clearFaults(): void;
  requests(): ReadonlyArray<{ readonly injected?: boolean; readonly status: number }>;
}

/**
 * Every call matching `fault` fails in the window, and none after: the fault is armed for more
 * calls than any window sees and the emulator's faults are cleared at its end, so two windows
 * on one emulator must take turns (see fault-schedule.ts). Answers how many calls it failed.
 */
export async function faultWindow<F extends BaseFault>(target: FaultTarget<F>, fault: Omit<F, 'count'>, length: WindowLength): Promise<number> {
  const injected = () => target.requests().filter((r) => r.injected && r.status === fault.status).length;
  const before = injected();
  target.injectFault({ ...fault, count: 1_000_000 } as F);
  await until(length, () => injected() - before);
  target.clearFaults();
  return injected() - before;
}

/** Polls `met` every 20 ms until the window is over: its length passed and enough calls met it, or its longest. */
async function until(length: WindowLength, met: () => number): Promise<void> {
  const start = Date.now();
  for (;;) {
    const count = met();
    const elapsed = Date.now() - start;
    if ((elapsed >= length.seconds * 1000 && count >= length.atLeast) || elapsed >= length.maxSeconds * 1000) return;
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
