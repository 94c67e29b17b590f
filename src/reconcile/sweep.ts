import type { AdoClient } from '../ado/ado-client';
import type { JobRequest } from '../ado/job-requests';
import type { ScalerConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import type { DemandMessage } from '../queue/demand-message';
import type { DemandQueue } from '../queue/demand-queue';
import type { Counters } from '../status/counters';

export interface PoolSweep {
  readonly orgUrl: string;
  readonly pool: string;
  readonly waiting: number;
  readonly running: number;
  readonly enqueued: number;
  readonly error?: string;
}

export interface SweepDeps {
  readonly config: ScalerConfig;
  readonly ado: (orgUrl: string) => Promise<AdoClient>;
  readonly queue: DemandQueue;
  readonly counters: Counters;
  readonly log: Logger;
  readonly now?: () => Date;
}

/**
 * The safety net behind the webhook (invariant 2): one job-request listing per managed pool, and
 * a demand for every request still waiting. Demands for jobs the webhook already reported carry
 * the same messageId and are dropped by duplicate detection. A failing pool is reported and does
 * not stop the others.
 */
export async function sweep(deps: SweepDeps): Promise<PoolSweep[]> {
  deps.counters.increment('sweeps');
  const observedAt = (deps.now?.() ?? new Date()).toISOString();
  const results = await Promise.all(
    managedPools(deps.config).map(async ({ orgUrl, pool }): Promise<PoolSweep> => {
      try {
        const requests = await listPool(await deps.ado(orgUrl), pool);
        const waiting = requests.filter((r) => r.state === 'waiting');
        await deps.queue.enqueue(waiting.map((r) => demandFor(orgUrl, pool, r, observedAt)));
        deps.counters.increment('demandsEnqueued', waiting.length);
        return { orgUrl, pool, waiting: waiting.length, running: count(requests, 'running'), enqueued: waiting.length };
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        deps.counters.increment('sweepFailures');
        deps.log.error(`reconcile: pool "${pool}" of ${orgUrl}: ${error}`);
        return { orgUrl, pool, waiting: 0, running: 0, enqueued: 0, error };
      }
    }),
  );
  const enqueued = results.reduce((n, r) => n + r.enqueued, 0);
  if (enqueued > 0) deps.log.info(`reconcile: ${enqueued} waiting job request(s) enqueued across ${results.length} pool(s)`);
  return results;
}

export function managedPools(config: ScalerConfig): Array<{ orgUrl: string; pool: string }> {
  return config.organizations.flatMap((o) => o.pools.map((p) => ({ orgUrl: o.url.url, pool: p.name })));
}

export async function listPool(ado: AdoClient, pool: string): Promise<JobRequest[]> {
  return ado.jobRequests(await ado.poolId(pool));
}

function demandFor(orgUrl: string, pool: string, r: JobRequest, observedAt: string): DemandMessage {
  return { version: 1, orgUrl, jobId: r.jobId, poolName: pool, requestId: r.requestId, source: 'sweep', observedAt };
}

function count(requests: readonly JobRequest[], state: JobRequest['state']): number {
  return requests.filter((r) => r.state === state).length;
}
