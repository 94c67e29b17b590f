import type { AdoClient } from '../ado/ado-client';
import type { ScalerConfig } from '../config/schema';
import { listPool, managedPools } from '../reconcile/sweep';
import type { Counters } from './counters';

export interface PoolStatus {
  readonly organization: string;
  readonly pool: string;
  readonly waiting: number;
  readonly running: number;
  /** Job requests waiting right now, oldest first. */
  readonly waitingRequests: ReadonlyArray<{ readonly requestId: number; readonly jobId: string; readonly queueTime?: string; readonly demands: readonly string[] }>;
  readonly error?: string;
}

export interface StatusReport {
  readonly counters: ReturnType<Counters['snapshot']>;
  readonly pools: readonly PoolStatus[];
  readonly emulators?: Readonly<Record<string, string>>;
}

/** What an operator checks first: counters of this instance and what each pool is waiting for. */
export async function statusReport(deps: {
  config: ScalerConfig;
  counters: Counters;
  ado: (orgUrl: string) => Promise<AdoClient>;
  emulators?: Readonly<Record<string, string>>;
}): Promise<StatusReport> {
  const pools = await Promise.all(
    managedPools(deps.config).map(async ({ orgUrl, pool }): Promise<PoolStatus> => {
      try {
        const requests = await listPool(await deps.ado(orgUrl), pool);
        const waiting = requests.filter((r) => r.state === 'waiting');
        return {
          organization: orgUrl,
          pool,
          waiting: waiting.length,
          running: requests.filter((r) => r.state === 'running').length,
          waitingRequests: waiting.map((r) => ({
            requestId: r.requestId,
            jobId: r.jobId,
            ...(r.queueTime ? { queueTime: r.queueTime } : {}),
            demands: r.rawDemands,
          })),
        };
      } catch (e) {
        return { organization: orgUrl, pool, waiting: 0, running: 0, waitingRequests: [], error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
  return { counters: deps.counters.snapshot(), pools, ...(deps.emulators ? { emulators: deps.emulators } : {}) };
}
