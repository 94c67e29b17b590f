import type { AdoClient } from '../ado/ado-client';
import type { PoolAgent } from '../ado/pool-agents';
import type { OrganizationConfig, PoolConfig, ProfileConfig, ScalerConfig } from '../config/schema';
import type { Launcher } from '../launchers/launcher';
import { managedPools } from '../reconcile/sweep';
import { activeCrashLoop } from '../scheduler/crash-loop';
import { profileBackoffKey, type PoolBackoffs } from '../scheduler/pool-lease';
import { placeholderState, type PlaceholderState } from '../upkeep/placeholders';
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

export interface ProfileStatus {
  readonly organization: string;
  readonly pool: string;
  readonly profile: string;
  readonly launcher: string;
  readonly maxAgents: number;
  readonly starting: number;
  readonly running: number;
  readonly finished: number;
  /**
   * Set while the profile starts nothing: its agents keep exiting before a job, or its last start
   * failed and the pool backs off (throttling, quota, waiting for Spot capacity). Why, and until when.
   */
  readonly backoff?: { readonly until: string; readonly reason: string };
  /** The profile's placeholder agent in ADO (upkeep keeps it); absent when the pool's agents could not be listed. */
  readonly placeholder?: PlaceholderState;
  readonly error?: string;
}

export interface StatusReport {
  readonly counters: ReturnType<Counters['snapshot']>;
  readonly pools: readonly PoolStatus[];
  readonly profiles: readonly ProfileStatus[];
  readonly emulators?: Readonly<Record<string, string>>;
}

/** What an operator checks first: counters of this instance and what each pool is waiting for. */
export async function statusReport(deps: {
  config: ScalerConfig;
  counters: Counters;
  ado: (orgUrl: string) => Promise<AdoClient>;
  launcher: (profile: ProfileConfig) => Promise<Launcher>;
  /** The pool's and its profiles' back-offs after failed passes and starts (the scheduler's pool lease). */
  poolBackoffs?: (org: OrganizationConfig, pool: PoolConfig) => Promise<PoolBackoffs | undefined>;
  emulators?: Readonly<Record<string, string>>;
}): Promise<StatusReport> {
  // One agent listing per pool serves the placeholder state of all its profiles.
  const agentListings = new Map<string, Promise<PoolAgent[] | undefined>>();
  const poolAgents = (orgUrl: string, pool: string) => {
    const key = `${orgUrl}|${pool.toLowerCase()}`;
    let listing = agentListings.get(key);
    if (!listing) {
      listing = (async () => {
        const ado = await deps.ado(orgUrl);
        return ado.agents(await ado.poolId(pool));
      })().catch(() => undefined);
      agentListings.set(key, listing);
    }
    return listing;
  };
  const backoffs = new Map<PoolConfig, Promise<PoolBackoffs | undefined>>();
  const poolBackoffs = (o: OrganizationConfig, p: PoolConfig) => {
    let backoff = backoffs.get(p);
    if (!backoff) backoffs.set(p, (backoff = (deps.poolBackoffs?.(o, p) ?? Promise.resolve(undefined)).catch(() => undefined)));
    return backoff;
  };
  const profiles = Promise.all(
    deps.config.organizations.flatMap((o) =>
      o.pools.flatMap((p) =>
        p.profiles.map(async (profile): Promise<ProfileStatus> => {
          const agents = await poolAgents(o.url.url, p.name);
          const base = {
            organization: o.url.url,
            pool: p.name,
            profile: profile.name,
            launcher: profile.launcher.kind,
            maxAgents: profile.maxAgents,
            ...(agents ? { placeholder: placeholderState(profile, agents) } : {}),
          };
          try {
            const agents = await (await deps.launcher(profile)).list({ profile: profile.name, pool: p.name });
            const count = (phase: string) => agents.filter((a) => a.phase === phase).length;
            const loop = activeCrashLoop(agents, Date.now());
            const held = loop ? undefined : await poolBackoffs(o, p);
            // A crash loop first, then this profile's failed starts, then a failure of the pool's whole pass.
            const other = held?.profiles.get(profileBackoffKey(p.name, profile.name)) ?? held?.pool;
            const backoff = loop
              ? { backoff: { until: new Date(loop.backedOffUntil).toISOString(), reason: loop.reason } }
              : other
                ? { backoff: { until: new Date(other.until).toISOString(), reason: other.reason } }
                : {};
            return { ...base, starting: count('starting'), running: count('running'), finished: count('finished'), ...backoff };
          } catch (e) {
            return { ...base, starting: 0, running: 0, finished: 0, error: e instanceof Error ? e.message : String(e) };
          }
        }),
      ),
    ),
  );
  const pools = await Promise.all(
    managedPools(deps.config).map(async ({ orgUrl, pool }): Promise<PoolStatus> => {
      try {
        const ado = await deps.ado(orgUrl);
        const requests = await ado.jobRequests(await ado.poolId(pool));
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
  return { counters: deps.counters.snapshot(), pools, profiles: await profiles, ...(deps.emulators ? { emulators: deps.emulators } : {}) };
}
