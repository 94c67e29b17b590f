import type * as Timers from 'node:timers';
import type * as TimersPromises from 'node:timers/promises';

/* eslint-disable @typescript-eslint/no-require-imports -- the built-ins' own module objects, not import wrappers, must be patched */
const timers = require('node:timers') as typeof Timers;
const timersPromises = require('node:timers/promises') as typeof TimersPromises;
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Runs this whole process — scaler, emulators, SDK clients — on a clock `speed` times faster
 * than the wall clock: Date moves `speed` times faster from now on and every timer fires after
 * 1/speed of its delay. Every part keeps seeing one consistent time (a 60 s reconcile period, a
 * Retry-After of 10 s, a lock of 30 s and a container that starts in 20 s keep their ratios), so
 * minutes of model time run in seconds. Only CPU work is not sped up: each millisecond the
 * process computes counts as `speed` model milliseconds, which slows both systems under test
 * alike. Install before anything else is loaded; there is no uninstall, a bench process ends.
 * The scaler's clock (`systemClock`, src/time/clock.ts) reads the global Date at each call, so
 * the whole scaler runs on this one.
 */
const MIN_REAL_INTERVAL_MS = 10;

export function installTimeWarp(speed: number): void {
  if (!(speed > 0) || speed === 1) return;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const origin = realNow();
  const now = () => origin + (realNow() - origin) * speed;
  const scaled = (ms: unknown) => Math.max(0, Number(ms ?? 0) || 0) / speed;

  class WarpedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return Math.floor(now());
    }
  }
  globalThis.Date = WarpedDate as DateConstructor;

  const { setTimeout: realSetTimeout, setInterval: realSetInterval } = globalThis;
  const warpedSetTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => realSetTimeout(fn, scaled(ms), ...args)) as typeof setTimeout;
  // Intervals are polls (the Service Bus emulator looks for due messages every 20 ms): polling
  // more than 100 times a real second only takes CPU from the systems under test.
  const warpedSetInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    realSetInterval(fn, Math.max(scaled(ms), Math.min(Number(ms ?? 0) || 0, MIN_REAL_INTERVAL_MS)), ...args)) as typeof setInterval;
  Object.assign(warpedSetTimeout, { [Symbol.for('nodejs.util.promisify.custom')]: warpedPromiseTimeout });
  globalThis.setTimeout = warpedSetTimeout;
  globalThis.setInterval = warpedSetInterval;
  patch(timers, { setTimeout: warpedSetTimeout, setInterval: warpedSetInterval });

  const realPromiseTimeout = timersPromises.setTimeout;
  function warpedPromiseTimeout<T>(ms?: number, value?: T, options?: Timers.TimerOptions): Promise<T> {
    return realPromiseTimeout(scaled(ms), value, options);
  }
  patch(timersPromises, { setTimeout: warpedPromiseTimeout });
}

/** Module namespaces of built-ins are plain objects whose properties can be replaced. */
function patch(target: object, values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: true });
  }
}
