/**
 * The timer trigger takes an NCRONTAB expression with seconds; config speaks in seconds.
 * The config schema only admits intervals that divide a minute or an hour, so the schedule
 * fires at an even pace across boundaries.
 */
export function reconcileSchedule(intervalSeconds: number): string {
  if (intervalSeconds < 60) return `*/${intervalSeconds} * * * * *`;
  const minutes = intervalSeconds / 60;
  return minutes === 1 ? '0 * * * * *' : `0 */${minutes} * * * *`;
}

export const DEFAULT_RECONCILE_SCHEDULE = reconcileSchedule(60);
