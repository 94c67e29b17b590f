import { app, type InvocationContext, type Timer } from '@azure/functions';
import { errorMessage } from '../src/errors/error-message';
import { dependencies } from '../src/runtime/dependencies';
import { DEFAULT_RECONCILE_SCHEDULE, reconcileSchedule } from '../src/reconcile/schedule';
import { sweep } from '../src/reconcile/sweep';

/** Safety net behind the webhook: a look at every managed pool, each tick and when the app starts. */
export async function reconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = dependencies();
  await sweep({ config: deps.settings.config, signals: deps.signals, counters: deps.counters, now: deps.now, log: context });
}

/** Read once at startup; this is also where a bad configuration is reported, all problems at once. */
function schedule(): string {
  try {
    return reconcileSchedule(dependencies().settings.config.reconcile.intervalSeconds);
  } catch (e) {
    console.error(errorMessage(e));
    return DEFAULT_RECONCILE_SCHEDULE;
  }
}

// On startup too: a changed configuration restarts the app, and its pools get a look at once
// (standby targets, maxAgents) instead of at the next tick. Signals are cheap and coalesce.
app.timer('reconcile', { schedule: schedule(), runOnStartup: true, useMonitor: true, handler: reconcile });
