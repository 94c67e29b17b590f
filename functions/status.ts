import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { dependencies } from '../src/runtime/dependencies';

/** Operator view: counters of this instance and each pool's waiting job requests. */
export async function status(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const deps = dependencies();
  // Loaded at the first request, not with the app: the lease module brings the Table SDK.
  const [{ statusReport }, { poolLeaseKey }] = await Promise.all([import('../src/status/status-report.js'), import('../src/scheduler/pool-lease.js')]);
  const report = await statusReport({
    config: deps.settings.config,
    counters: deps.counters,
    ado: (orgUrl) => deps.ado(orgUrl),
    launcher: async (profile) => (await deps.scheduler()).launcher(profile),
    poolBackoffs: async (org, pool) => (await deps.scheduler()).lease.backoffs(poolLeaseKey(org, pool)),
    now: deps.now,
    ...(deps.settings.emulators ? { emulators: deps.settings.emulators } : {}),
  });
  return { status: 200, jsonBody: report };
}

// A function key guards it in Azure (it lists pools and jobs); the local host does not check keys.
app.http('status', { methods: ['GET'], authLevel: 'function', route: 'status', handler: status });
