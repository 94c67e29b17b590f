import type { PoolAgent } from '../ado/pool-agents';
import type { UpkeepConfig } from '../config/schema';
import { isAgentNameOf } from '../launchers/agent-name';
import type { LaunchedAgent } from '../launchers/launcher';
import type { Mark, MarkKind } from './upkeep-marks';

export interface ProfilePlanInput {
  /** The profile's containers/Jobs, as its launcher lists them. */
  readonly containers: readonly LaunchedAgent[];
  /** The pool's registrations by lowercase name. */
  readonly registrations: ReadonlyMap<string, PoolAgent>;
  readonly marks: readonly Mark[];
  readonly settings: UpkeepConfig;
  readonly now: number;
}

export interface ProfilePlan {
  /** Finished beyond the newest `keepFinished`. */
  readonly deleteFinished: LaunchedAgent[];
  readonly markOrphan: LaunchedAgent[];
  /** Unregistered past the grace at the previous run and still now. */
  readonly deleteOrphan: LaunchedAgent[];
  /** Marks no longer true: the agent registered or is gone (and idle marks of earlier versions: the scheduler stops idle agents now). */
  readonly clearMarks: Mark[];
}

/**
 * What the janitor does with one profile's agents, decided from one listing of containers, one
 * of registrations and the marks of earlier runs: finished containers beyond the few kept for
 * their logs, and agents that never registered. Registered agents are the scheduler's business
 * (it stops idle ones beyond demand). Pure, so every rule is unit-tested without a clock or cloud.
 */
export function planProfile(input: ProfilePlanInput): ProfilePlan {
  const { settings, now } = input;
  const keep = new Set<Mark>();
  const markOf = (kind: MarkKind, a: LaunchedAgent) =>
    input.marks.find((m) => m.kind === kind && m.name === a.name && m.containerCreatedAt === a.createdAt.toISOString());
  const plan: Omit<ProfilePlan, 'clearMarks'> = { deleteFinished: [], markOrphan: [], deleteOrphan: [] };

  const finished = input.containers.filter((a) => a.phase === 'finished').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  plan.deleteFinished.push(...finished.slice(settings.keepFinished));

  for (const agent of input.containers.filter((a) => a.phase !== 'finished')) {
    if (input.registrations.has(agent.name.toLowerCase())) continue;
    if (now - agent.createdAt.getTime() < settings.orphanGraceSeconds * 1000) continue;
    const mark = markOf('orphan', agent);
    if (mark) keep.add(mark);
    (mark ? plan.deleteOrphan : plan.markOrphan).push(agent);
  }
  return { ...plan, clearMarks: input.marks.filter((m) => !keep.has(m)) };
}

export interface RegistrationPlanInput {
  readonly orgUrl: string;
  readonly pool: string;
  readonly registrations: readonly PoolAgent[];
  /** Every container of the pool's profiles by lowercase name; undefined when a listing failed (absence proves nothing then). */
  readonly containers: ReadonlyMap<string, LaunchedAgent> | undefined;
  readonly graceMs: number;
  readonly now: number;
}

/**
 * Registrations of agents the scaler started (named for this organization and pool) that are
 * offline with no job while their container has finished or is gone. A registration younger than
 * the grace is left: its container may be too new to be listed yet. Placeholders and agents
 * registered by anyone else never match the name.
 */
export function staleRegistrations(input: RegistrationPlanInput): PoolAgent[] {
  const ours = isAgentNameOf(input.orgUrl, input.pool);
  return input.registrations.filter((r) => {
    if (!ours(r.name) || r.online || r.assignedRequestId !== undefined) return false;
    const container = input.containers?.get(r.name.toLowerCase());
    if (container) return container.phase === 'finished';
    const old = r.createdOn === undefined || input.now - r.createdOn.getTime() >= input.graceMs;
    return input.containers !== undefined && old;
  });
}
