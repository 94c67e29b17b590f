import type { AdoClient } from '../ado/ado-client';
import type { OrganizationConfig, PoolConfig, ProfileConfig, ScalerConfig } from '../config/schema';
import type { Launcher } from '../launchers/launcher';
import type { PoolBackoffs } from '../scheduler/pool-lease';
import type { PlaceholderState } from '../upkeep/placeholders';
import type { Counters } from '../metrics/counters';
import type { Clock } from '../time/clock';
import { fleetSnapshot, type FleetSnapshot } from './fleet-snapshot';
import { poolState } from './profile-state';

export interface PoolStatus {
  readonly organization: string;
  readonly pool: string;
  readonly waiting: number;
  readonly running: number;
  /** Waiting jobs no profile of the pool serves. */
  readonly unmatched: number;
  /** Job requests waiting right now, oldest first. */
  readonly waitingRequests: ReadonlyArray<{
    readonly requestId: number;
    readonly jobId: string;
    readonly queueTime?: string;
    readonly demands: readonly string[];
  }>;
  readonly error?: string;
}

export interface ProfileStatus {
  readonly organization: string;
  readonly pool: string;
  readonly profile: string;
  readonly launcher: string;
  readonly maxAgents: number;
  /** Containers by the launcher's phase. */
  readonly starting: number;
  readonly running: number;
  readonly finished: number;
  /** Waiting jobs this profile serves, and its standby target now. */
  readonly waiting: number;
  readonly standby: number;
  /** Its live agents as the scheduler counts them: not registered yet, idle, running a job, exiting after one. */
  readonly agents: { readonly starting: number; readonly idle: number; readonly busy: number; readonly exiting: number };
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
  now: Clock;
}): Promise<StatusReport> {
  const snapshot = await fleetSnapshot(deps);
  return { counters: deps.counters.snapshot(), ...statusOf(snapshot), ...(deps.emulators ? { emulators: deps.emulators } : {}) };
}

/** The JSON of `/api/status` from one snapshot. */
export function statusOf(snapshot: FleetSnapshot): Pick<StatusReport, 'pools' | 'profiles'> {
  const pools: PoolStatus[] = [];
  const profiles: ProfileStatus[] = [];
  for (const p of snapshot.pools) {
    const state = poolState(p, snapshot.at);
    const requests = p.requests ?? [];
    const waiting = requests.filter((r) => r.state === 'waiting');
    pools.push({
      organization: p.org.url.url,
      pool: p.pool.name,
      waiting: waiting.length,
      running: requests.filter((r) => r.state === 'running').length,
      unmatched: state.unmatched,
      waitingRequests: waiting.map((r) => ({
        requestId: r.requestId,
        jobId: r.jobId,
        ...(r.queueTime ? { queueTime: r.queueTime } : {}),
        demands: r.rawDemands,
      })),
      ...(p.error !== undefined ? { error: p.error } : {}),
    });
    for (const s of state.profiles) {
      profiles.push({
        organization: p.org.url.url,
        pool: p.pool.name,
        profile: s.profile.name,
        launcher: s.profile.launcher.kind,
        maxAgents: s.profile.maxAgents,
        ...s.containers,
        waiting: s.waiting,
        standby: s.standby,
        agents: s.agents,
        ...(s.placeholder ? { placeholder: s.placeholder } : {}),
        ...(s.backoff ? { backoff: { until: new Date(s.backoff.until).toISOString(), reason: s.backoff.reason } } : {}),
        ...(s.error !== undefined ? { error: s.error } : {}),
      });
    }
  }
  return { pools, profiles };
}
