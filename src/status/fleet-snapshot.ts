import type { AdoClient } from '../ado/ado-client';
import type { JobRequest } from '../ado/job-requests';
import type { PoolAgent } from '../ado/pool-agents';
import { orgKeyOf } from '../config/org-url';
import type { OrganizationConfig, PoolConfig, ProfileConfig, ScalerConfig } from '../config/schema';
import { errorMessage } from '../errors/error-message';
import type { LaunchedAgent, Launcher } from '../launchers/launcher';
import type { PoolBackoffs } from '../scheduler/pool-lease';
import type { Clock } from '../time/clock';
import { EXITING_MS } from '../scheduler/pool-pass';

/** One profile's containers, as its launcher lists them. */
export interface ProfileSnapshot {
  readonly profile: ProfileConfig;
  /** Undefined when the listing failed (`error`). */
  readonly agents?: readonly LaunchedAgent[];
  readonly error?: string;
}

/** What ADO, the launchers and the pool's lease say about one pool, read once. */
export interface PoolSnapshot {
  readonly org: OrganizationConfig;
  readonly pool: PoolConfig;
  /** Every unfinished job request and the latest finished ones; undefined when the listing failed (`error`). */
  readonly requests?: readonly JobRequest[];
  readonly error?: string;
  /** The pool's registrations (placeholders, registered agents); undefined when they could not be listed. */
  readonly registrations?: readonly PoolAgent[];
  /** The pool's and its profiles' back-offs after failed passes and starts; undefined when unknown. */
  readonly backoffs?: PoolBackoffs;
  readonly profiles: readonly ProfileSnapshot[];
}

export interface FleetSnapshot {
  /** When it was taken, epoch ms. */
  readonly at: number;
  readonly pools: readonly PoolSnapshot[];
}

export interface FleetDeps {
  readonly config: ScalerConfig;
  ado(orgUrl: string): Promise<AdoClient>;
  launcher(profile: ProfileConfig): Promise<Launcher>;
  /** The scheduler's pool lease: back-offs after failed passes and starts. */
  poolBackoffs?(org: OrganizationConfig, pool: PoolConfig): Promise<PoolBackoffs | undefined>;
  /** Tells exiting agents and live back-offs apart. */
  readonly now: Clock;
}

/** Finished requests a pass lists at most (see the scheduler's pass): enough to tell every exiting agent. */
const MAX_FINISHED_LISTED = 200;

/**
 * The finished requests to list for a pool: as many as its pass lists (so an agent exiting after
 * its job counts as neither idle nor busy), and at least `atLeast` (the dashboard's timeline).
 */
export function finishedToList(pool: PoolConfig, atLeast = 0): number {
  return Math.min(
    MAX_FINISHED_LISTED,
    Math.max(
      atLeast,
      pool.profiles.reduce((n, p) => n + p.maxAgents, 0),
    ),
  );
}

/**
 * What `/api/status` and `/api/dashboard` show, read from where the scheduler reads it: per pool
 * one job request listing and one registration listing from ADO and one lease read, per profile
 * one launcher listing. Nothing is kept between calls, so any instance answers for the fleet. A
 * listing that fails is reported in its place and the rest goes on.
 */
export async function fleetSnapshot(deps: FleetDeps, options: { readonly finishedAtLeast?: number } = {}): Promise<FleetSnapshot> {
  const at = deps.now();
  const pools = deps.config.organizations.flatMap((org) =>
    org.pools.map((pool) => poolSnapshot(deps, org, pool, finishedToList(pool, options.finishedAtLeast), at)),
  );
  return { at, pools: await Promise.all(pools) };
}

async function poolSnapshot(deps: FleetDeps, org: OrganizationConfig, pool: PoolConfig, finished: number, at: number): Promise<PoolSnapshot> {
  const poolId = (async () => {
    const ado = await deps.ado(org.url.url);
    return { ado, id: await ado.poolId(pool.name) };
  })();
  const [requests, registrations, backoffs] = await Promise.all([
    settle(async () => {
      const { ado, id } = await poolId;
      return ado.jobRequests(id, finished);
    }),
    settle(async () => {
      const { ado, id } = await poolId;
      return ado.agents(id);
    }),
    settle(async () => deps.poolBackoffs?.(org, pool)),
  ]);
  // ADO names the agents running a job or just done with one: a launcher whose listing lacks the
  // container state (ACI) need not read those one by one, as in the scheduler's pass.
  const named = new Set(
    (requests.value ?? []).flatMap((r) =>
      r.agentName && (r.state === 'running' || (r.state === 'finished' && r.finishTime && at - Date.parse(r.finishTime) < EXITING_MS))
        ? [r.agentName.toLowerCase()]
        : [],
    ),
  );
  const profiles = await Promise.all(
    pool.profiles.map(async (profile): Promise<ProfileSnapshot> => {
      const listed = await settle(async () => (await deps.launcher(profile)).list({ profile: profile.name, pool: pool.name, running: named }));
      if (!listed.value) return { profile, error: listed.error ?? 'the launcher listed nothing' };
      // A launcher's scope (resource group, namespace) may hold another organization's pool of the same name.
      return { profile, agents: listed.value.filter((a) => orgKeyOf(a.orgUrl) === org.url.key) };
    }),
  );
  return {
    org,
    pool,
    ...(requests.value ? { requests: requests.value } : { error: requests.error ?? 'the job requests could not be listed' }),
    ...(registrations.value ? { registrations: registrations.value } : {}),
    ...(backoffs.value ? { backoffs: backoffs.value } : {}),
    profiles,
  };
}

async function settle<T>(read: () => Promise<T>): Promise<{ readonly value?: T; readonly error?: string }> {
  try {
    return { value: await read() };
  } catch (e) {
    return { error: errorMessage(e) };
  }
}
