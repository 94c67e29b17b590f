import { app, type InvocationContext, type Timer } from '@azure/functions';
import { dependencies } from '../src/runtime/dependencies';
import { DEFAULT_RECONCILE_SCHEDULE, reconcileSchedule } from '../src/reconcile/schedule';
import { sweep } from '../src/reconcile/sweep';

/** Safety net behind the webhook: every waiting job request of every managed pool becomes demand. */
export async function reconcile(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = dependencies();
  await sweep({
    config: deps.settings.config,
    ado: (orgUrl) => deps.ado(orgUrl),
    queue: deps.queue,
    counters: deps.counters,
    log: context,
  });
}

/** Read once at startup; this is also where a bad configuration is reported, all problems at once. */
function schedule(): string {
  try {
    return reconcileSchedule(dependencies().settings.config.reconcile.intervalSeconds);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    return DEFAULT_RECONCILE_SCHEDULE;
  }
}

app.timer('reconcile', { schedule: schedule(), runOnStartup: false, useMonitor: true, handler: reconcile });
