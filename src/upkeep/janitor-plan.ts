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
  /** Jobs waiting that this profile serves: as many idle agents are about to get one and stay. */
  readonly waiting: number;
  readonly settings: UpkeepConfig;
  readonly now: number;
}

export interface ProfilePlan {
  /** Finished beyond the newest `keepFinished`. */
  readonly deleteFinished: LaunchedAgent[];
  readonly markIdle: LaunchedAgent[];
  /** Registered, no job, beyond the waiting jobs, idle since the mark for at least idleTtlSeconds; longest idle first. */
  readonly stopIdle: Array<{ readonly agent: LaunchedAgent; readonly registration: PoolAgent; readonly idleSince: Date }>;
  readonly markOrphan: LaunchedAgent[];
  /** Unregistered past the grace at the previous run and still now. */
  readonly deleteOrphan: LaunchedAgent[];
  /** Marks no longer true: the agent took a job, registered, or is gone. */
  readonly clearMarks: Mark[];
}

/**
 * What the janitor does with one profile's agents, decided from one listing of containers, one
 * of registrations and the marks of earlier runs. A busy agent (its registration has an assigned
 * request) gets no action at all. Pure, so every rule is unit-tested without a clock or cloud.
 */
export function planProfile(input: ProfilePlanInput): ProfilePlan {
  const { settings, now } = input;
  const keep = new Set<Mark>();
  const markOf = (kind: MarkKind, a: LaunchedAgent) =>
    input.marks.find((m) => m.kind === kind && m.name === a.name && m.containerCreatedAt === a.createdAt.toISOString());
  const plan: Omit<ProfilePlan, 'clearMarks'> = { deleteFinished: [], markIdle: [], stopIdle: [], markOrphan: [], deleteOrphan: [] };

  const finished = input.containers.filter((a) => a.phase === 'finished').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  plan.deleteFinished.push(...finished.slice(settings.keepFinished));

  const idle: Array<{ readonly agent: LaunchedAgent; readonly registration: PoolAgent; readonly idleSince: Date }> = [];
  let idleCount = 0;
  for (const agent of input.containers.filter((a) => a.phase !== 'finished')) {
    const registration = input.registrations.get(agent.name.toLowerCase());
    if (registration?.assignedRequestId !== undefined) continue;
    if (!registration) {
      if (now - agent.createdAt.getTime() < settings.orphanGraceSeconds * 1000) continue;
      const mark = markOf('orphan', agent);
      if (mark) keep.add(mark);
      (mark ? plan.deleteOrphan : plan.markOrphan).push(agent);
      continue;
    }
    idleCount++;
    const mark = markOf('idle', agent);
    if (!mark) {
      plan.markIdle.push(agent);
      continue;
    }
    keep.add(mark);
    idle.push({ agent, registration, idleSince: mark.since });
  }
  // ADO gives each waiting job to an idle agent that can run it: only idle agents beyond the
  // waiting jobs are without work to come, and of those the ones idle longest go first.
  const surplus = Math.max(0, idleCount - input.waiting);
  idle.sort((a, b) => a.idleSince.getTime() - b.idleSince.getTime() || a.agent.name.localeCompare(b.agent.name));
  plan.stopIdle.push(...idle.slice(0, surplus).filter((i) => now - i.idleSince.getTime() >= settings.idleTtlSeconds * 1000));
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

