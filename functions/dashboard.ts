import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { dependencies } from '../src/runtime/dependencies';

/** Operator view as one HTML page: per pool and profile what the scheduler sees, and a timeline of the latest jobs. */
export async function dashboard(request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const deps = dependencies();
  // Loaded at the first request, not with the app: the renderer, and the lease module with the Table SDK.
  const [{ dashboardPage, refreshSecondsOf }, { poolLeaseKey }] = await Promise.all([
    import('../src/dashboard/dashboard-page.js'),
    import('../src/scheduler/pool-lease.js'),
  ]);
  const { settings } = deps;
  return dashboardPage(
    {
      config: settings.config,
      ado: (orgUrl) => deps.ado(orgUrl),
      launcher: async (profile) => (await deps.scheduler()).launcher(profile),
      poolBackoffs: async (org, pool) => (await deps.scheduler()).lease.backoffs(poolLeaseKey(org, pool)),
      hooks: (orgUrl) => deps.adoHooks(orgUrl),
      ...(settings.webhookUrl ? { webhookUrl: settings.webhookUrl } : {}),
      webhookUsername: settings.webhook.username,
      counters: deps.counters.snapshot(),
      now: deps.now,
    },
    refreshSecondsOf(request.query.get('refresh')),
  );
}

// A function key guards it in Azure, as /api/status (it lists pools, jobs and agents); the local host does not check keys.
app.http('dashboard', { methods: ['GET'], authLevel: 'function', route: 'dashboard', handler: dashboard });
