import type { AdoClient } from '../ado/ado-client';
import type { JobRequest } from '../ado/job-requests';
import type { OrganizationConfig, PoolConfig } from '../config/schema';
import type { DemandMessage } from '../queue/demand-message';

export interface FoundRequest {
  readonly pool: PoolConfig;
  readonly request: JobRequest;
}

export interface JobRequestFinder {
  /** The job's current request in one of the organization's managed pools, or undefined (another pool, or gone). */
  find(org: OrganizationConfig, demand: DemandMessage): Promise<FoundRequest | undefined>;
}

/**
 * A webhook demand names a job, not a pool (ADO's event carries none), so finding its request
 * means listing the organization's pools. A burst of demands shares listings for a short time,
 * but never one taken before the demand was observed: a job newer than the listing would be
 * missed.
 */
export function createJobRequestFinder(deps: { ado: (orgUrl: string) => Promise<AdoClient>; ttlMs?: number; now?: () => number }): JobRequestFinder {
  const ttlMs = deps.ttlMs ?? 2_000;
  const now = deps.now ?? Date.now;
  const listings = new Map<string, { fetchedAt: number; requests: Promise<JobRequest[]> }>();

  const listing = async (org: OrganizationConfig, pool: PoolConfig, notBefore: number): Promise<JobRequest[]> => {
    const key = `${org.url.key}|${pool.name.toLowerCase()}`;
    const cached = listings.get(key);
    if (cached && cached.fetchedAt >= notBefore && now() - cached.fetchedAt < ttlMs) return cached.requests;
    const fetchedAt = now();
    const requests = (async () => {
      const ado = await deps.ado(org.url.url);
      return ado.jobRequests(await ado.poolId(pool.name));
    })();
    listings.set(key, { fetchedAt, requests });
    requests.catch(() => listings.delete(key));
    return requests;
  };

  return {
    async find(org, demand) {
      const notBefore = Date.parse(demand.observedAt) || 0;
      const pools = demand.poolName ? org.pools.filter((p) => same(p.name, demand.poolName!)) : org.pools;
      const found = await Promise.all(
        pools.map(async (pool) => {
          const request = (await listing(org, pool, notBefore)).find((r) => same(r.jobId, demand.jobId));
          return request ? { pool, request } : undefined;
        }),
      );
      const current = found.find((f) => f !== undefined);
      if (current || demand.requestId === undefined || pools.length !== 1) return current;
      // Finished requests leave the listing; a demand that knows its request (a sweep's, or a
      // retry's) can still learn who ran the job, which launchDemand needs (see standInProfile).
      const ado = await deps.ado(org.url.url);
      const request = await ado.jobRequest(await ado.poolId(pools[0]!.name), demand.requestId);
      return request && same(request.jobId, demand.jobId) ? { pool: pools[0]!, request } : undefined;
    },
  };
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
