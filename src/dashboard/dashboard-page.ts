import type { HttpResponseInit } from '@azure/functions';
import { fleetSnapshot, type FleetDeps } from '../status/fleet-snapshot';
import { DASHBOARD_CSP } from './dashboard-style';
import { hookStatus, type HookStatusDeps } from './hook-status';
import { renderDashboard } from './render-dashboard';
import { TIMELINE_JOBS } from './timeline';

export const DEFAULT_REFRESH_SECONDS = 30;
const MIN_REFRESH_SECONDS = 5;
const MAX_REFRESH_SECONDS = 3600;

export interface DashboardDeps extends FleetDeps, HookStatusDeps {
  readonly counters?: Readonly<Record<string, number>>;
}

/**
 * `GET /api/dashboard`: the status report's snapshot with enough finished requests for the
 * timeline, and the service hooks' state, read in parallel, rendered as one page that loads
 * nothing else.
 */
export async function dashboardPage(deps: DashboardDeps, refreshSeconds = DEFAULT_REFRESH_SECONDS): Promise<HttpResponseInit> {
  const [snapshot, hooks] = await Promise.all([fleetSnapshot(deps, { finishedAtLeast: TIMELINE_JOBS }), hookStatus(deps)]);
  return {
    status: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    },
    body: renderDashboard({ snapshot, hooks, refreshSeconds, ...(deps.counters ? { counters: deps.counters } : {}) }),
  };
}

/** `?refresh=N`: seconds between reloads, 0 for none; the default for anything else. */
export function refreshSecondsOf(value: string | null | undefined): number {
  if (value === null || value === undefined || !/^\d{1,5}$/.test(value.trim())) return DEFAULT_REFRESH_SECONDS;
  const seconds = Number(value.trim());
  return seconds === 0 ? 0 : Math.min(MAX_REFRESH_SECONDS, Math.max(MIN_REFRESH_SECONDS, seconds));
}
