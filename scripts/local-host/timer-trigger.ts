import { CronExpressionParser } from 'cron-parser';
import { errorMessage } from '../../src/errors/error-message';
import { triggerOf, type Registration } from './functions-core-shim';
import { invocationContext, type LogSink } from './invocation';

export interface TimerHost {
  /** Runs a timer function now, as the portal's "Test/Run" does; resolves when it finishes. */
  run(name: string): Promise<void>;
  close(): void;
}

/** Fires timer-triggered functions on their NCRONTAB schedules (six fields, with seconds), and at start those with runOnStartup. */
export function scheduleTimerFunctions(
  registrations: readonly Registration[],
  log: LogSink,
  options: { schedule: boolean; env?: NodeJS.ProcessEnv } = { schedule: true },
): TimerHost {
  const env = options.env ?? process.env;
  const timers = registrations.filter((r) => triggerOf(r).type === 'timerTrigger');
  const handles = new Set<NodeJS.Timeout>();
  const running = new Map<string, Promise<void>>();
  let closed = false;

  const invoke = (r: Registration, isPastDue: boolean): Promise<void> => {
    // Like the host's singleton lock: one run of a timer function at a time.
    const existing = running.get(r.name);
    if (existing) return existing;
    const run = (async () => {
      try {
        await r.handler({ isPastDue, schedule: { adjustForDST: true } }, invocationContext(r.name, log));
      } catch (e) {
        log('error', r.name, errorMessage(e));
      } finally {
        running.delete(r.name);
      }
    })();
    running.set(r.name, run);
    return run;
  };

  for (const r of timers) {
    const raw = triggerOf(r).schedule as string;
    const expression = raw.replace(/^%(.+)%$/, (_, name: string) => env[name] ?? '');
    const cron = CronExpressionParser.parse(expression);
    const next = () => {
      if (closed || !options.schedule) return;
      const delay = Math.max(0, cron.next().getTime() - Date.now());
      const handle = setTimeout(() => {
        handles.delete(handle);
        void invoke(r, false).finally(next);
      }, delay);
      handle.unref();
      handles.add(handle);
    };
    next();
    if (options.schedule && triggerOf(r).runOnStartup === true) void invoke(r, false);
  }

  return {
    run(name) {
      const r = timers.find((t) => t.name === name);
      if (!r) return Promise.reject(new Error(`no timer function named ${name}`));
      return invoke(r, false);
    },
    close() {
      closed = true;
      handles.forEach(clearTimeout);
    },
  };
}
