import type { AdoClient } from '../ado/ado-client';
import type { JobRequest } from '../ado/job-requests';
import type { PoolAgent } from '../ado/pool-agents';
import type { OrganizationConfig, PoolConfig, ProfileConfig } from '../config/schema';
import { errorKind } from '../errors/scaler-error';
import { profileAgentName } from '../launchers/agent-name';
import type { LaunchedAgent, Launcher } from '../launchers/launcher';
import type { Logger } from '../log/logger';
import { crashLoop, type CrashLoop } from './crash-loop';
import { planPool, type ObservedAgent, type Plan } from './plan';
import { waitingPerProfile } from './serving-profile';

export interface PassDeps {
  ado(orgUrl: string): Promise<AdoClient>;
  launcher(profile: ProfileConfig): Promise<Launcher>;
  /** What a new agent registers with (the organization's PAT, or an Entra token). */
  agentToken(org: OrganizationConfig): Promise<string>;
  readonly log: Logger;
  readonly now: () => number;
  /** How long an idle agent beyond demand may stay. */
  readonly graceMs: number;
  /** Idle agents the profile keeps ready at that instant; none when absent. */
  standbyAt?(profile: ProfileConfig, now: Date): number;
}

export interface PassResult {
  readonly plan: Plan;
  readonly started: readonly string[];
  readonly stopped: readonly string[];
  /** Profiles in back-off because their agents keep exiting before a job. */
  readonly crashLoops: Readonly<Record<string, CrashLoop>>;
  /** Waiting jobs no profile of the pool serves. */
  readonly unmatched: readonly JobRequest[];
  /** When the pool needs its next pass whatever happens: a grace, a back-off or a Retry-After ends. */
  readonly nextPassAt?: number;
}

/**
 * One scheduler pass over a pool: one job-request listing, one listing of registrations, one of
 * containers per launcher; the pure plan; then the starts and stops it asks for. Safe to run
 * again at any point: every decision is recomputed from what ADO and the launchers report.
 */
export async function passPool(org: OrganizationConfig, pool: PoolConfig, deps: PassDeps): Promise<PassResult> {
  const now = deps.now();
  const ado = await deps.ado(org.url.url);
  const poolId = await ado.poolId(pool.name);
  const launchers = new Map<ProfileConfig, Launcher>();
  for (const profile of pool.profiles) launchers.set(profile, await deps.launcher(profile));
  const [requests, registrations, containers] = await Promise.all([
    ado.jobRequests(poolId),
    ado.agents(poolId),
    listContainers([...new Set(launchers.values())], pool),
  ]);

  const { waiting, unmatched } = waitingPerProfile(pool, requests, registrations);
  const agents = observe(containers, registrations, requests, pool);
  const crashLoops: Record<string, CrashLoop> = {};
  for (const profile of pool.profiles) {
    const finished = containers.filter((c) => c.profile === profile.name && c.phase === 'finished');
    const loop = crashLoop(finished.map((c) => ({ name: c.name, endedAt: c.createdAt.getTime(), ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}) })));
    if (loop && loop.backedOffUntil > now) crashLoops[profile.name] = loop;
  }
  const plan = planPool({
    now,
    profiles: pool.profiles.map((p) => ({
      name: p.name,
      maxAgents: p.maxAgents,
      standby: deps.standbyAt?.(p, new Date(now)) ?? 0,
      ...(crashLoops[p.name] ? { backedOffUntil: crashLoops[p.name]!.backedOffUntil } : {}),
    })),
    waiting,
    agents,
    graceMs: deps.graceMs,
  });

  const wakeUps = plan.nextPassAt !== undefined ? [plan.nextPassAt] : [];
  const started: string[] = [];
  const stopped: string[] = [];
  for (const decision of plan.profiles) {
    const profile = pool.profiles.find((p) => p.name === decision.profile)!;
    const launcher = launchers.get(profile)!;
    const forJobs = Math.max(0, decision.waiting - (decision.starting + decision.idle));
    for (let i = 0; i < decision.start; i++) {
      const name = profileAgentName(org.url.url, pool.name, profile.name);
      try {
        await launcher.start({ name, orgUrl: org.url.url, pool: pool.name, profile, pat: await deps.agentToken(org), ...(i >= forJobs ? { standby: true } : {}) });
        started.push(name);
      } catch (e) {
        // The rest of this profile's starts wait for the next pass, which recomputes them.
        const retryAfterMs = (e as { retryAfterMs?: number }).retryAfterMs;
        wakeUps.push(now + (errorKind(e) === 'permanent' ? 60_000 : (retryAfterMs ?? 5_000)));
        deps.log.warn(`scheduler: starting an agent of profile ${profile.name} in pool "${pool.name}" failed; next pass later: ${e instanceof Error ? e.message : String(e)}`);
        break;
      }
    }
    for (const name of decision.stop) {
      if (await stopIdle(ado, poolId, launcher, name, deps)) stopped.push(name);
    }
  }
  for (const [profile, loop] of Object.entries(crashLoops)) deps.log.warn(`scheduler: profile ${profile} in pool "${pool.name}": ${loop.reason}`);
  return { plan, started, stopped, crashLoops, unmatched, ...(wakeUps.length ? { nextPassAt: Math.min(...wakeUps) } : {}) };
}

async function listContainers(launchers: readonly Launcher[], pool: PoolConfig): Promise<LaunchedAgent[]> {
  const names = new Set(pool.profiles.map((p) => p.name));
  const lists = await Promise.all(launchers.map((l) => l.list({ pool: pool.name })));
  return lists.flat().filter((a) => names.has(a.profile));
}

/**
 * Busy: ADO runs a job on it (its registration's assigned request, or a running request that
 * names it). Idle: registered without a job, since its registration. Starting: no registration yet.
 */
function observe(containers: readonly LaunchedAgent[], registrations: readonly PoolAgent[], requests: readonly JobRequest[], pool: PoolConfig): ObservedAgent[] {
  const byName = new Map(registrations.map((r) => [r.name.toLowerCase(), r]));
  const running = new Set(requests.filter((r) => r.state === 'running' && r.agentName).map((r) => r.agentName!.toLowerCase()));
  return containers
    .filter((c) => c.phase !== 'finished' && c.pool.toLowerCase() === pool.name.toLowerCase())
    .map((c): ObservedAgent => {
      const registration = byName.get(c.name.toLowerCase());
      if (running.has(c.name.toLowerCase()) || registration?.assignedRequestId !== undefined) return { name: c.name, profile: c.profile, state: 'busy' };
      if (registration) return { name: c.name, profile: c.profile, state: 'idle', idleSince: registration.createdOn?.getTime() ?? c.createdAt.getTime() };
      return { name: c.name, profile: c.profile, state: 'starting' };
    });
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
