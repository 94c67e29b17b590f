import type { PoolAgent } from '../ado/pool-agents';
import type { ProfileConfig } from '../config/schema';
import { capacityKey } from '../launch/launch-demand';
import type { LaunchedAgent, Launcher } from '../launchers/launcher';
import { planProfile, staleRegistrations } from './janitor-plan';
import { attempt, nowMs, seconds, type PoolContext } from './upkeep-context';

/**
 * Cleans one profile's containers/Jobs: finished ones beyond the newest `keepFinished`, idle
 * agents beyond the profile's waiting jobs once idle past `idleTtlSeconds` (their job was
 * cancelled, or another agent took it), and orphans (never registered) in two runs. Every
 * deletion gives the agent's capacity claim back. Registrations this removes are added to
 * `removed`, so the pool's registration sweep skips them. `waiting` is Infinity when the job
 * requests could not be listed: then no idle agent is stopped this run.
 */
export async function cleanProfile(
  ctx: PoolContext,
  profile: ProfileConfig,
  launcher: Launcher,
  containers: readonly LaunchedAgent[],
  registrations: ReadonlyMap<string, PoolAgent>,
  waiting: number,
  removed: Set<number>,
): Promise<void> {
  const { deps, ado, poolId, where } = ctx;
  const settings = deps.config.upkeep;
  const scope = capacityKey(ctx.org, ctx.pool, profile);
  const now = nowMs(deps);
  const plan = planProfile({ containers, registrations, marks: await deps.marks.list(scope), waiting, settings, now });
  const remove = async (agent: LaunchedAgent) => {
    await launcher.delete(agent.name);
    if (agent.requestId !== undefined) await deps.ledger.release(scope, agent.requestId);
  };
  const mark = (kind: 'idle' | 'orphan', agent: LaunchedAgent) =>
    deps.marks.put(scope, { kind, name: agent.name, since: new Date(now), containerCreatedAt: agent.createdAt.toISOString() });
  const about = (a: LaunchedAgent) => `agent ${a.name} (${a.requestId !== undefined ? `job request ${a.requestId}, ` : ''}profile ${profile.name}, ${where})`;

  for (const agent of plan.deleteFinished) {
    await attempt(deps, `deleting finished ${about(agent)}`, async () => {
      await remove(agent);
      deps.counters.increment('finishedDeleted');
      deps.log.info(`upkeep: deleted finished ${about(agent)}${agent.exitCode === undefined ? '' : `, exit code ${agent.exitCode}`}; keeping the newest ${settings.keepFinished}`);
    });
  }
  for (const agent of plan.markOrphan) {
    await attempt(deps, `marking ${about(agent)} as orphaned`, async () => {
      await mark('orphan', agent);
      deps.counters.increment('orphansMarked');
      deps.log.warn(`upkeep: ${about(agent)} has no registration ${seconds(now - agent.createdAt.getTime())} after it was created; marked, and deleted at the next run if still unregistered`);
    });
  }
  for (const agent of plan.deleteOrphan) {
    await attempt(deps, `deleting orphaned ${about(agent)}`, async () => {
      // It may have registered since the pool's listing: look once more by name.
      if ((await ado.agents(poolId, agent.name)).length > 0) {
        await deps.marks.remove(scope, 'orphan', agent.name);
        return;
      }
      await remove(agent);
      await deps.marks.remove(scope, 'orphan', agent.name);
      deps.counters.increment('orphansDeleted');
      deps.log.warn(`upkeep: deleted orphaned ${about(agent)}: still no registration at a second run (image, network or token problem? see its container logs)`);
    });
  }
  for (const agent of plan.markIdle) {
    await attempt(deps, `marking ${about(agent)} as idle`, () => mark('idle', agent));
  }
  for (const { agent, registration, idleSince } of plan.stopIdle) {
    await attempt(deps, `stopping idle ${about(agent)}`, async () => {
      // Disabled, ADO gives it no job; looking again then tells for certain whether it got one
      // between the listing and now, in which case it is busy and left alone.
      if (registration.enabled) await ado.setAgentEnabled(poolId, registration.id, false);
      const [current] = await ado.agents(poolId, agent.name);
      if (current?.assignedRequestId !== undefined) {
        if (registration.enabled) await ado.setAgentEnabled(poolId, current.id, true);
        await deps.marks.remove(scope, 'idle', agent.name);
        deps.log.info(`upkeep: ${about(agent)} took job request ${current.assignedRequestId} while being stopped; left running`);
        return;
      }
      await remove(agent);
      if (current) {
        await ado.deleteAgent(poolId, current.id);
        removed.add(current.id);
        deps.counters.increment('registrationsRemoved');
      }
      await deps.marks.remove(scope, 'idle', agent.name);
      deps.counters.increment('idleStopped');
      deps.log.warn(`upkeep: stopped ${about(agent)}: idle for ${seconds(now - idleSince.getTime())} with no job waiting for it (cancelled, or taken by another agent); container and registration removed`);
    });
  }
  for (const m of plan.clearMarks) {
    await attempt(deps, `clearing the ${m.kind} mark of agent ${m.name}`, () => deps.marks.remove(scope, m.kind, m.name));
  }
}

/**
 * Removes, with the organization's current credential, the registrations our agents left behind:
 * an agent whose cleanup failed (a PAT rotated since it started) or whose container was killed.
 */
export async function removeStaleRegistrations(
  ctx: PoolContext,
  registrations: readonly PoolAgent[],
  containers: ReadonlyMap<string, LaunchedAgent> | undefined,
): Promise<void> {
  const { deps, ado, poolId, where } = ctx;
  const stale = staleRegistrations({
    orgUrl: ctx.org.url.url,
    pool: ctx.pool.name,
    registrations,
    containers,
    graceMs: deps.config.upkeep.orphanGraceSeconds * 1000,
    now: nowMs(deps),
  });
  for (const registration of stale) {
    await attempt(deps, `removing the registration of agent ${registration.name} from ${where}`, async () => {
      await ado.deleteAgent(poolId, registration.id);
      deps.counters.increment('registrationsRemoved');
      const container = containers?.get(registration.name.toLowerCase());
      deps.log.info(`upkeep: removed the offline registration of agent ${registration.name} from ${where}; its container ${container ? 'has finished' : 'is gone'}`);
    });
  }
}
