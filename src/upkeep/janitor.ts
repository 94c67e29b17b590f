import type { PoolAgent } from '../ado/pool-agents';
import type { ProfileConfig } from '../config/schema';
import type { LaunchedAgent, Launcher } from '../launchers/launcher';
import { planProfile, staleRegistrations } from './janitor-plan';
import { attempt, seconds, type PoolContext } from './upkeep-context';
import { markScope } from './upkeep-marks';

/**
 * Cleans one profile's containers/Jobs: finished ones beyond the newest `keepFinished`, and
 * orphans (never registered) in two runs. Answers whether it deleted an orphan, which frees
 * capacity the scheduler may want back at once.
 */
export async function cleanProfile(
  ctx: PoolContext,
  profile: ProfileConfig,
  launcher: Launcher,
  containers: readonly LaunchedAgent[],
  registrations: ReadonlyMap<string, PoolAgent>,
): Promise<boolean> {
  const { deps, ado, poolId, where } = ctx;
  const settings = deps.config.upkeep;
  const scope = markScope(ctx.org.url.key, ctx.pool.name, profile.name);
  const now = deps.now();
  const plan = planProfile({ containers, registrations, marks: await deps.marks.list(scope), settings, now });
  const remove = (agent: LaunchedAgent) => launcher.delete(agent.name);
  const mark = (agent: LaunchedAgent) =>
    deps.marks.put(scope, { kind: 'orphan', name: agent.name, since: new Date(now), containerCreatedAt: agent.createdAt.toISOString() });
  const about = (a: LaunchedAgent) => `agent ${a.name} (profile ${profile.name}, ${where})`;
  let orphansDeleted = false;

  for (const agent of plan.deleteFinished) {
    await attempt(deps, `deleting finished ${about(agent)}`, async () => {
      await remove(agent);
      deps.counters.increment('finishedDeleted');
      deps.log.info(`upkeep: deleted finished ${about(agent)}${ending(agent)}; keeping the newest ${settings.keepFinished}`);
    });
  }
  for (const agent of plan.markOrphan) {
    await attempt(deps, `marking ${about(agent)} as orphaned`, async () => {
      await mark(agent);
      deps.counters.increment('orphansMarked');
      deps.log.warn(
        `upkeep: ${about(agent)} has no registration ${seconds(now - agent.createdAt.getTime())} after it was created; marked, and deleted at the next run if still unregistered`,
      );
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
      orphansDeleted = true;
      deps.log.warn(
        `upkeep: deleted orphaned ${about(agent)}: still no registration at a second run (image, network or token problem? see its container logs)`,
      );
    });
  }
  for (const m of plan.clearMarks) {
    await attempt(deps, `clearing the ${m.kind} mark of agent ${m.name}`, () => deps.marks.remove(scope, m.kind, m.name));
  }
  return orphansDeleted;
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
    now: deps.now(),
  });
  for (const registration of stale) {
    await attempt(deps, `removing the registration of agent ${registration.name} from ${where}`, async () => {
      await ado.deleteAgent(poolId, registration.id);
      deps.counters.increment('registrationsRemoved');
      const container = containers?.get(registration.name.toLowerCase());
      deps.log.info(
        `upkeep: removed the offline registration of agent ${registration.name} from ${where}; its container ${container ? 'has finished' : 'is gone'}`,
      );
    });
  }
}

/** How a finished agent ended, for the log: its exit code, or a failure the platform gave no code for. */
function ending(agent: LaunchedAgent): string {
  if (agent.exitCode !== undefined) return `, exit code ${agent.exitCode}`;
  return agent.failed ? ', failed (the platform reports no exit code)' : '';
}
