import type { AdoClient } from '../ado/ado-client';
import type { JobRequest } from '../ado/job-requests';
import type { PoolAgent } from '../ado/pool-agents';
import { orgKeyOf } from '../config/org-url';
import type { OrganizationConfig, PoolConfig, ProfileConfig } from '../config/schema';
import { standbyAt } from '../config/standby-window';
import { errorMessage } from '../errors/error-message';
import { errorKind } from '../errors/scaler-error';
import { profileAgentName } from '../launchers/agent-name';
import type { LaunchedAgent, Launcher } from '../launchers/launcher';
import type { Logger } from '../log/logger';
import type { Clock } from '../time/clock';
import { errorFields, type ErrorFields } from '../log/telemetry-record';
import { activeCrashLoop, type CrashLoop } from './crash-loop';
import { profileBackoffKey } from './pool-lease';
import { planPool, type ObservedAgent, type Plan } from './plan';
import { waitingPerProfile } from './serving-profile';

export interface PassDeps {
  ado(orgUrl: string): Promise<AdoClient>;
  launcher(profile: ProfileConfig): Promise<Launcher>;
  /** What a new agent registers with (the organization's PAT, or an Entra token). */
  agentToken(org: OrganizationConfig): Promise<string>;
  readonly log: Logger;
  readonly now: Clock;
  /** How long an idle agent beyond demand may stay. */
  readonly graceMs: number;
  /** Called between planning and acting: false when this pass may no longer act (its lease is gone). */
  stillHolder?(): Promise<boolean>;
  /** Profiles whose starts back off after failing (by profileBackoffKey), with when they may start again. */
  readonly profileBackoffs?: ReadonlyMap<string, number>;
}

export interface PassResult {
  readonly plan: Plan;
  readonly started: readonly string[];
  readonly stopped: readonly string[];
  /** Profiles in back-off because their agents keep exiting before a job. */
  readonly crashLoops: Readonly<Record<string, CrashLoop>>;
  /** Waiting jobs no profile of the pool serves. */
  readonly unmatched: readonly JobRequest[];
  /** When the pool needs its next pass whatever happens: a grace, a back-off, a standby window, a Retry-After. */
  readonly nextPassAt?: number;
  /** Starts that failed (throttled, quota, no Spot capacity, fault), one per profile (profileBackoffKey): that profile backs off, with the launcher's retry time when it gave one; `error` for telemetry. */
  readonly startFailures: ReadonlyArray<{ readonly retryAfterMs?: number; readonly message: string; readonly profile: string; readonly error?: ErrorFields }>;
  /** Profiles (profileBackoffKey) that started agents in this pass. */
  readonly startedProfiles: readonly string[];
  /** The lease was lost before acting: nothing was started or stopped. */
  readonly abandoned?: boolean;
  /** The pool's job requests as the pass listed them, and when (the pass's clock): for telemetry. */
  readonly requests: readonly JobRequest[];
  readonly listedAt: number;
}

/** Starting agents no job waits for any more are looked at again this soon, so they are stopped once idle past the grace. */
export const STARTING_RECHECK_MS = 10_000;
/** A job an event announced that the listing does not show yet is looked for again this soon. */
export const UNLISTED_JOB_RECHECK_MS = 3_000;
/** How long after its job an agent counts as exiting: neither supply nor capacity. */
export const EXITING_MS = 60_000;
/** Finished requests listed at most: enough for every agent of the pool's profiles to be exiting at once. */
const MAX_FINISHED_LISTED = 200;
/** Starts sent to a launcher at once. */
const START_CONCURRENCY = 5;

/**
 * One scheduler pass over a pool: one job-request listing (the unfinished requests and the
 * latest finished ones, so an agent that has finished its job and is exiting counts as neither
 * supply nor capacity), a listing of containers per launcher, the registrations only when some
 * profile has more supply than demand, the pure plan, and the starts and stops it asks for.
 * Safe to run again at any point: every decision is recomputed from what ADO and the launchers
 * report.
 */
export async function passPool(org: OrganizationConfig, pool: PoolConfig, deps: PassDeps, announcedJobs: readonly string[] = []): Promise<PassResult> {
  const now = deps.now();
  const ado = await deps.ado(org.url.url);
  const poolId = await ado.poolId(pool.name);
  const launchers = new Map<ProfileConfig, Launcher>();
  for (const profile of pool.profiles) launchers.set(profile, await deps.launcher(profile));
  // Job requests first: the agents ADO names running (or just done with) a job need no state
  // read from the launcher. The finished requests cover every agent that may still be exiting.
  const requests = await ado.jobRequests(
    poolId,
    Math.min(
      pool.profiles.reduce((n, p) => n + p.maxAgents, 0),
      MAX_FINISHED_LISTED,
    ),
  );
  const running = agentsOf(requests, 'running');
  // A one-shot agent exits after its job; one still there a minute later is judged like any other.
  const exiting = agentsOf(
    requests.filter((r) => !r.finishTime || now - Date.parse(r.finishTime) < EXITING_MS),
    'finished',
  );
  // With an organization-wide cap, the other pools' agents count too, through their own launchers.
  const scopes =
    org.maxParallelJobs !== undefined ? await Promise.all(org.pools.flatMap((p) => p.profiles).map((p) => deps.launcher(p))) : [...launchers.values()];
  const all = await listContainers([...new Set(scopes)], org, org.maxParallelJobs !== undefined ? undefined : pool, new Set([...running, ...exiting]));
  const mine = all.filter((c) => same(c.pool, pool.name) && pool.profiles.some((p) => p.name === c.profile));
  const live = mine.filter((c) => c.phase !== 'finished');

  const standby = new Map(pool.profiles.map((p) => [p.name, standbyAt(p.standby, new Date(now))]));
  const { waiting, unmatched } = waitingPerProfile(pool, requests, []);
  const working = live.filter((c) => !exiting.has(c.name.toLowerCase()));
  const supply = (profile: string) => working.filter((c) => c.profile === profile && !running.has(c.name.toLowerCase())).length;
  // Only supply beyond demand needs telling idle agents from starting ones: a second ADO call
  // when something may be stopped, none in a pass that only starts.
  const surplus = pool.profiles.some((p) => supply(p.name) > (waiting.get(p.name) ?? 0) + standby.get(p.name)!.agents);
  const registrations = surplus ? await ado.agents(poolId) : undefined;
  const agents = observe(working, running, registrations);

  const crashLoops: Record<string, CrashLoop> = {};
  for (const profile of pool.profiles) {
    const loop = activeCrashLoop(
      mine.filter((c) => c.profile === profile.name),
      now,
    );
    if (loop) crashLoops[profile.name] = loop;
  }
  const elsewhere = all.filter((c) => c.phase !== 'finished' && !same(c.pool, pool.name)).length;
  const plan = planPool({
    now,
    profiles: pool.profiles.map((p) => ({
      name: p.name,
      maxAgents: p.maxAgents,
      standby: standby.get(p.name)!.agents,
      ...backedOffUntil(crashLoops[p.name]?.backedOffUntil, deps.profileBackoffs?.get(profileBackoffKey(pool.name, p.name))),
    })),
    waiting,
    agents,
    graceMs: deps.graceMs,
    ...(org.maxParallelJobs !== undefined ? { organizationRoom: Math.max(0, org.maxParallelJobs - elsewhere - agents.length) } : {}),
  });

  const wakeUps = plan.nextPassAt !== undefined ? [plan.nextPassAt] : [];
  for (const target of standby.values()) if (target.nextChange) wakeUps.push(target.nextChange.getTime());
  // Starting agents beyond demand (their job was cancelled or taken) register without an event:
  // look again soon, to stop them once idle past the grace.
  if (surplus && agents.some((a) => a.state === 'starting')) wakeUps.push(now + STARTING_RECHECK_MS);
  const listed = new Set(requests.map((r) => r.jobId.toLowerCase()));
  if (announcedJobs.some((j) => !listed.has(j.toLowerCase()))) wakeUps.push(now + UNLISTED_JOB_RECHECK_MS);
  const acting = plan.profiles.some((d) => d.start > 0 || d.stop.length > 0);
  if (acting && deps.stillHolder && !(await deps.stillHolder())) {
    return { plan, started: [], stopped: [], crashLoops, unmatched, startFailures: [], startedProfiles: [], abandoned: true, requests, listedAt: now };
  }

  const started: string[] = [];
  const stopped: string[] = [];
  const startFailures: Array<PassResult['startFailures'][number]> = [];
  const startedProfiles: string[] = [];
  const token = plan.profiles.some((d) => d.start > 0) ? await deps.agentToken(org) : '';
  for (const decision of plan.profiles) {
    const profile = pool.profiles.find((p) => p.name === decision.profile)!;
    const launcher = launchers.get(profile)!;
    const forJobs = Math.max(0, decision.waiting - (decision.starting + decision.idle));
    const specs = Array.from({ length: decision.start }, (_, i) => ({
      name: profileAgentName(org.url.url, pool.name, profile.name),
      orgUrl: org.url.url,
      pool: pool.name,
      profile,
      pat: token,
      ...(i >= forJobs ? { standby: true } : {}),
    }));
    const key = profileBackoffKey(pool.name, profile.name);
    let failure: PassResult['startFailures'][number] | undefined;
    let startedHere = 0;
    for (let i = 0; i < specs.length && !failure; i += START_CONCURRENCY) {
      const results = await Promise.allSettled(specs.slice(i, i + START_CONCURRENCY).map((spec) => launcher.start(spec)));
      results.forEach((r, j) => {
        if (r.status === 'fulfilled') {
          started.push(specs[i + j]!.name);
          startedHere++;
        } else failure ??= { ...failureOf(r.reason), profile: key };
      });
    }
    if (startedHere > 0 && !failure) startedProfiles.push(key);
    if (failure) {
      // This profile's other starts wait for its back-off to end; the pass recomputes them then.
      startFailures.push(failure);
      deps.log.warn(
        `scheduler: starting agents of profile ${profile.name} in pool "${pool.name}" failed; ${startedHere} started, the rest after a back-off: ${failure.message}`,
      );
    }
    for (const name of decision.stop) {
      if (await stopIdle(ado, poolId, launcher, name, deps)) stopped.push(name);
    }
  }
  for (const [profile, loop] of Object.entries(crashLoops)) deps.log.warn(`scheduler: profile ${profile} in pool "${pool.name}": ${loop.reason}`);
  return {
    plan,
    started,
    stopped,
    crashLoops,
    unmatched,
    ...(wakeUps.length ? { nextPassAt: Math.min(...wakeUps) } : {}),
    startFailures,
    startedProfiles,
    requests,
    listedAt: now,
  };
}

/** The organization's agents when it has an organization-wide cap, else only the pool's. */
async function listContainers(
  launchers: readonly Launcher[],
  org: OrganizationConfig,
  pool: PoolConfig | undefined,
  running: ReadonlySet<string>,
): Promise<LaunchedAgent[]> {
  const lists = await Promise.all(launchers.map((l) => l.list({ ...(pool ? { pool: pool.name } : {}), running })));
  return lists.flat().filter((a) => orgKeyOf(a.orgUrl) === org.url.key);
}

function agentsOf(requests: readonly JobRequest[], state: JobRequest['state']): Set<string> {
  return new Set(requests.flatMap((r) => (r.state === state && r.agentName ? [r.agentName.toLowerCase()] : [])));
}

/**
 * Busy: a running request names it. Without the registrations (nothing to stop) the rest count as
 * starting; with them, a registered agent is idle since it registered, or busy when ADO has just
 * assigned it a request the job listing did not show yet.
 */
function observe(working: readonly LaunchedAgent[], running: ReadonlySet<string>, registrations: readonly PoolAgent[] | undefined): ObservedAgent[] {
  const byName = new Map((registrations ?? []).map((r) => [r.name.toLowerCase(), r]));
  return working.map((c): ObservedAgent => {
    const registration = byName.get(c.name.toLowerCase());
    if (running.has(c.name.toLowerCase()) || registration?.assignedRequestId !== undefined) return { name: c.name, profile: c.profile, state: 'busy' };
    if (registration) return { name: c.name, profile: c.profile, state: 'idle', idleSince: registration.createdOn?.getTime() ?? c.createdAt.getTime() };
    return { name: c.name, profile: c.profile, state: 'starting' };
  });
}

function failureOf(error: unknown): Omit<PassResult['startFailures'][number], 'profile'> {
  const message = errorMessage(error);
  const retryAfterMs = (error as { retryAfterMs?: number } | undefined)?.retryAfterMs;
  // A request that can never succeed (a bad image reference, no permission) is not retried soon.
  if (errorKind(error) === 'permanent') return { retryAfterMs: Math.max(retryAfterMs ?? 0, 60_000), message, error: errorFields(error) };
  return { ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), message, error: errorFields(error) };
}

/**
 * Disables the registration first, so ADO gives it no job, then looks again: an agent that took
 * a job in between is enabled again and left to finish it (a busy agent is never stopped).
 */
async function stopIdle(ado: AdoClient, poolId: number, launcher: Launcher, name: string, deps: PassDeps): Promise<boolean> {
  const [registration] = await ado.agents(poolId, name);
  if (registration) {
    await ado.setAgentEnabled(poolId, registration.id, false);
    const [again] = await ado.agents(poolId, name);
    if (again?.assignedRequestId !== undefined) {
      await ado.setAgentEnabled(poolId, registration.id, true);
      return false;
    }
  }
  await launcher.delete(name);
  if (registration) await ado.deleteAgent(poolId, registration.id);
  deps.log.info(`scheduler: stopped idle agent ${name}: no job waits for it`);
  return true;
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The later of a crash loop's and a failed start's back-off, as the plan takes it. */
function backedOffUntil(crashLoop: number | undefined, failedStart: number | undefined): { backedOffUntil?: number } {
  const until = Math.max(crashLoop ?? 0, failedStart ?? 0);
  return until > 0 ? { backedOffUntil: until } : {};
}
