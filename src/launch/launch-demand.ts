import { createHash } from 'node:crypto';
import type { JobRequest } from '../ado/job-requests';
import { orgKeyOf } from '../config/org-url';
import type { OrganizationConfig, PoolConfig, ProfileConfig, ScalerConfig } from '../config/schema';
import { errorKind } from '../errors/scaler-error';
import type { Logger } from '../log/logger';
import { parseDemandMessage } from '../queue/demand-message';
import type { Counters } from '../status/counters';
import { agentName } from '../launchers/agent-name';
import type { CapacityLedger } from './capacity-ledger';
import type { JobRequestFinder } from './find-job-request';
import type { Launcher } from '../launchers/launcher';
import { describeDemand, unmetDemands } from '../scheduler/profile-match';
import { servingProfile } from '../scheduler/serving-profile';
import { retryDelayMs } from './retry-delay';

export type LaunchOutcome =
  | { readonly kind: 'started'; readonly name: string; readonly profile: string }
  | { readonly kind: 'exists'; readonly name: string }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'unmatched'; readonly reason: string }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly reason: string; readonly resolved?: ResolvedDemand }
  | { readonly kind: 'poison'; readonly reason: string };

/** What a retry should know that the first demand may not have: finished requests can then still be looked up. */
export interface ResolvedDemand {
  readonly poolName: string;
  readonly requestId: number;
}

export interface LaunchDeps {
  readonly config: ScalerConfig;
  readonly finder: JobRequestFinder;
  readonly ledger: CapacityLedger;
  launcher(profile: ProfileConfig): Promise<Launcher>;
  /** What a new agent registers with (the org's PAT, or an Entra token); `fresh` reads Key Vault again. */
  agentToken(org: OrganizationConfig, fresh?: boolean): Promise<string>;
  readonly counters: Counters;
  readonly log: Logger;
  readonly now?: () => number;
}

/** A claim younger than this holds its slot even if its agent is not listed yet. */
const CLAIM_GRACE_MS = 120_000;

/**
 * One demand → at most one agent for its job request. Every step is safe to repeat: the agent's
 * name derives from the request and the capacity claim is keyed by it, so duplicates, retries and
 * redeliveries find the work done instead of doing it twice (invariant 1).
 */
export async function launchDemand(body: unknown, attempt: number, deps: LaunchDeps): Promise<LaunchOutcome> {
  const parsed = parseDemandMessage(body);
  if (!parsed.ok) return { kind: 'poison', reason: parsed.reason };
  const demand = parsed.demand;
  const org = deps.config.organizations.find((o) => o.url.key === orgKeyOf(demand.orgUrl));
  if (!org) return { kind: 'poison', reason: `organization ${demand.orgUrl} is not in the config` };
  if (demand.poolName && !org.pools.some((p) => same(p.name, demand.poolName!))) {
    return { kind: 'poison', reason: `pool "${demand.poolName}" is not configured for ${org.url.url}` };
  }
  let resolved: ResolvedDemand | undefined;
  try {
    const found = await deps.finder.find(org, demand);
    if (!found) return { kind: 'ignored', reason: `job ${demand.jobId} is not in a managed pool of ${org.url.url}` };
    const { pool, request } = found;
    resolved = { poolName: pool.name, requestId: request.requestId };
    const waiting = request.state === 'waiting';
    const profile = waiting ? servingProfile(pool.profiles, request) : await standInProfile(deps, org, pool, request);
    if (!profile && waiting) return unmatched(deps, pool, request.requestId, demand.jobId, request.demands);
    if (!profile) return { kind: 'ignored', reason: `job request ${request.requestId} is ${request.state}` };

    const name = agentName(org.url.url, pool.name, request.requestId);
    const launcher = await deps.launcher(profile);
    const key = capacityKey(org, pool, profile);
    const slot = await claimSlot(deps, launcher, key, profile, pool, request.requestId, name);
    if (slot === 'full') {
      deps.counters.increment('delayedForCapacity');
      return { kind: 'retry', delayMs: retryDelayMs(attempt, { capacity: true }), reason: `profile "${profile.name}" is at maxAgents ${profile.maxAgents}`, resolved };
    }
    if (slot === 'alreadyClaimed' && (await launcher.status(name)) === undefined && (await claimAge(deps, key, request.requestId)) < CLAIM_GRACE_MS) {
      // Another consumer claimed this request moments ago and is starting its agent. Starting it
      // here too could race that start (ACI treats a second PUT as an update that restarts the
      // container), so look again later; a claim left by a consumer that died ages out.
      deps.counters.increment('duplicatesSuppressed');
      return { kind: 'retry', delayMs: retryDelayMs(attempt), reason: `agent ${name} for job request ${request.requestId} is being started by another consumer`, resolved };
    }
    const spec = { name, orgUrl: org.url.url, pool: pool.name, requestId: request.requestId, jobId: request.jobId, profile, pat: await deps.agentToken(org) };
    const result = await launcher.start(spec).catch(async (e: unknown) => {
      // Give the slot back unless the agent exists after all (ARM may have created it before
      // failing): the retry claims again, and other jobs are not held back meanwhile.
      if ((await launcher.status(name).catch(() => 'unknown')) === undefined) await deps.ledger.release(key, request.requestId);
      throw e;
    });
    if (result.outcome === 'exists') {
      const agent = await launcher.status(name);
      if (waiting && agent?.phase === 'finished' && shouldReplace(agent.exitCode, request.queueTime, deps)) {
        await launcher.delete(name);
        await deps.ledger.release(key, request.requestId);
        // The likeliest cause of a failed agent is a PAT rotated since it was cached.
        await deps.agentToken(org, true);
        deps.counters.increment('agentsReplaced');
        return { kind: 'retry', delayMs: retryDelayMs(0), reason: `agent ${name} exited without taking job request ${request.requestId}; replacing it` };
      }
      deps.counters.increment('duplicatesSuppressed');
      return { kind: 'exists', name };
    }
    deps.counters.increment('launches');
    if (!waiting) {
      deps.counters.increment('standIns');
      deps.log.info(
        `launch: job request ${request.requestId} in pool "${pool.name}" went to agent ${request.agentName ?? '?'}, started for another request; ` +
          `started agent ${name} (profile ${profile.name}) for the job that agent leaves waiting`,
      );
      return { kind: 'started', name, profile: profile.name };
    }
    const waited = request.queueTime ? ` ${((now(deps) - Date.parse(request.queueTime)) / 1000).toFixed(1)} s after the job was queued` : '';
    deps.log.info(`launch: started agent ${name} (profile ${profile.name}) for job request ${request.requestId} in pool "${pool.name}"${waited}`);
    return { kind: 'started', name, profile: profile.name };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const kind = errorKind(e);
    if (kind === 'permanent') return { kind: 'poison', reason: message };
    if (kind === 'throttled') deps.counters.increment('throttled');
    const retryAfterMs = (e as { retryAfterMs?: number }).retryAfterMs;
    return { kind: 'retry', delayMs: retryDelayMs(attempt, retryAfterMs === undefined ? {} : { retryAfterMs }), reason: message, ...(resolved ? { resolved } : {}) };
  }
}

/**
 * ADO gives a waiting job to any idle agent that can run it, oldest first, so the agent started
 * for request K can take an older job J whose own demand was delayed (capacity, a retry). K then
 * waits with no agent coming. J's demand, finding J taken by K's agent and no agent of J's own,
 * starts J's agent in its place, with the profile of the agent J used up. Every job still gets
 * one agent under its own name; one whose job is cancelled meanwhile is left to the janitor.
 */
async function standInProfile(deps: LaunchDeps, org: OrganizationConfig, pool: PoolConfig, request: JobRequest): Promise<ProfileConfig | undefined> {
  const taker = request.agentName;
  const takerRequest = Number(/-(\d+)$/.exec(taker ?? '')?.[1]);
  if (!taker || !Number.isSafeInteger(takerRequest) || takerRequest === request.requestId) return undefined;
  if (!same(agentName(org.url.url, pool.name, takerRequest), taker)) return undefined; // not one of ours
  const launchers = new Set(await Promise.all(pool.profiles.map((p) => deps.launcher(p))));
  for (const launcher of launchers) {
    const agent = await launcher.status(taker);
    if (agent) return pool.profiles.find((p) => p.name === agent.profile);
  }
  return undefined;
}

/**
 * The request still waits but its agent has finished. Exit code other than 0: it never ran a job
 * (a PAT revoked by a rotation, an image that fails): replace it now. Exit 0: ADO gave it another
 * waiting job, and the agent started for that job will likely take this one; replace it only
 * once the job has waited a whole reconcile period, so duplicates do not start extra agents.
 */
function shouldReplace(exitCode: number | undefined, queueTime: string | undefined, deps: LaunchDeps): boolean {
  if (exitCode !== 0) return true;
  const waited = now(deps) - (Date.parse(queueTime ?? '') || 0);
  return waited >= deps.config.reconcile.intervalSeconds * 1000;
}

async function claimSlot(
  deps: LaunchDeps,
  launcher: Launcher,
  key: string,
  profile: ProfileConfig,
  pool: PoolConfig,
  requestId: number,
  name: string,
): Promise<'claimed' | 'alreadyClaimed' | 'full'> {
  const first = await deps.ledger.claim(key, requestId, name, profile.maxAgents);
  if (first.outcome !== 'full') return first.outcome;
  // Full: free the slots of agents that have finished, or that never appeared (a consumer died
  // before starting one; younger claims may just not be listed yet), then try once more.
  const agents = new Map((await launcher.list({ profile: profile.name, pool: pool.name })).map((a) => [a.name, a.phase]));
  const cutoff = now(deps) - CLAIM_GRACE_MS;
  const released = await deps.ledger.prune(key, (c) => agents.get(c.agentName) === 'finished' || (!agents.has(c.agentName) && c.claimedAt < cutoff));
  if (released.length === 0) return 'full';
  return (await deps.ledger.claim(key, requestId, name, profile.maxAgents)).outcome;
}

async function claimAge(deps: LaunchDeps, key: string, requestId: number): Promise<number> {
  const claim = (await deps.ledger.claims(key)).find((c) => c.requestId === requestId);
  return claim ? now(deps) - claim.claimedAt.getTime() : Number.POSITIVE_INFINITY;
}

function unmatched(deps: LaunchDeps, pool: PoolConfig, requestId: number, jobId: string, demands: Parameters<typeof unmetDemands>[1]): LaunchOutcome {
  deps.counters.increment('unmatchedDemands');
  const lacking = pool.profiles.map((p) => `"${p.name}" lacks ${unmetDemands(p, demands).map(describeDemand).join(', ')}`).join('; ');
  const reason =
    `job ${jobId} (request ${requestId}, pool "${pool.name}") demands ${demands.map(describeDemand).join(', ') || 'nothing'}, ` +
    `which no profile satisfies (${lacking}); add the capabilities to a profile or a profile for them`;
  deps.log.warn(`launch: ${reason}`);
  return { kind: 'unmatched', reason };
}

/** The ledger's key for a profile: stable, and free of the characters Table row keys forbid. */
export function capacityKey(org: OrganizationConfig, pool: PoolConfig, profile: ProfileConfig): string {
  const hash = createHash('sha256').update(`${org.url.key}|${pool.name.toLowerCase()}|${profile.name}`).digest('hex').slice(0, 16);
  return `${profile.name}-${hash}`;
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function now(deps: LaunchDeps): number {
  return deps.now?.() ?? Date.now();
}
