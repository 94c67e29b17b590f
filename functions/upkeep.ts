import { app, type InvocationContext, type Timer } from '@azure/functions';
import { errorMessage } from '../src/errors/error-message';
import { dependencies } from '../src/runtime/dependencies';
// The same NCRONTAB rule as reconcile: the config admits only intervals that pace evenly.
import { DEFAULT_RECONCILE_SCHEDULE, reconcileSchedule } from '../src/reconcile/schedule';

/** Between jobs: placeholder agents per profile, then the janitor (finished and orphaned agents, stale registrations). */
export async function upkeep(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = dependencies();
  const { runUpkeep } = await import('../src/upkeep/run-upkeep.js');
  await runUpkeep({ ...(await deps.upkeep()), log: context });
}

/** Read once at startup; a bad configuration is reported here too, all problems at once. */
function schedule(): string {
  try {
    return reconcileSchedule(dependencies().settings.config.upkeep.intervalSeconds);
  } catch (e) {
    console.error(errorMessage(e));
    return DEFAULT_RECONCILE_SCHEDULE;
  }
}

app.timer('upkeep', { schedule: schedule(), runOnStartup: false, useMonitor: true, handler: upkeep });
