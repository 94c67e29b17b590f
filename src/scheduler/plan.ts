/**
 * The scheduler's decision for one pool, as a pure function: what ADO and the launchers report
 * goes in, the agents to start and to stop come out. ADO gives a waiting job to any idle agent
 * that can run it, so the plan reasons in counts per profile and never pairs an agent with a job.
 */

export type AgentState = 'starting' | 'idle' | 'busy';

export interface PlannedProfile {
  readonly name: string;
  readonly maxAgents: number;
  /** Idle agents to keep ready now (the standby schedule's target at this instant). */
  readonly standby: number;
  /** While set and in the future, the profile starts nothing (crash loop, quota): its jobs wait. */
  readonly backedOffUntil?: number;
}

export interface ObservedAgent {
  readonly name: string;
  readonly profile: string;
  readonly state: AgentState;
  /** Since when an idle agent has had no job (its registration, or its last look); epoch ms. */
  readonly idleSince?: number;
}

export interface PlanInput {
  readonly now: number;
  /** Config order. */
  readonly profiles: readonly PlannedProfile[];
  /** Waiting jobs per profile that serves them (see servingProfile). */
  readonly waiting: ReadonlyMap<string, number>;
  /** Our agents of the pool that have not finished. */
  readonly agents: readonly ObservedAgent[];
  /** How long an idle agent beyond demand may stay before it is stopped. */
  readonly graceMs: number;
  /** Agents the organization may still add across all its pools (maxParallelJobs minus what runs); unlimited when absent. */
  readonly organizationRoom?: number;
}

export interface ProfileDecision {
  readonly profile: string;
  readonly waiting: number;
  readonly standby: number;
  readonly starting: number;
  readonly idle: number;
  readonly busy: number;
  /** How many new agents to start. */
  readonly start: number;
  /** Idle agents to stop, longest idle first. */
  readonly stop: readonly string[];
  /** Why fewer were started than demand asks for, when that is so. */
  readonly heldBack?: 'maxAgents' | 'organization' | 'backoff';
}

export interface Plan {
  readonly profiles: readonly ProfileDecision[];
  /** When the pool needs its next pass even if no event comes (a grace running out, a back-off ending). */
  readonly nextPassAt?: number;
}

/**
 * Per profile: start min(waiting + standby − (starting + idle), maxAgents − (busy + starting + idle)),
 * within what the organization has room for (profiles in config order draw on it first); stop
 * idle agents beyond waiting + standby once they have been idle for the grace, never a busy or
 * starting one.
 */
export function planPool(input: PlanInput): Plan {
  let room = input.organizationRoom ?? Number.POSITIVE_INFINITY;
  const wakeUps: number[] = [];
  const decisions = input.profiles.map((profile): ProfileDecision => {
    const mine = input.agents.filter((a) => a.profile === profile.name);
    const count = (state: AgentState) => mine.filter((a) => a.state === state).length;
    const [starting, idle, busy] = [count('starting'), count('idle'), count('busy')];
    const waiting = input.waiting.get(profile.name) ?? 0;
    const wanted = waiting + profile.standby;
    const short = Math.max(0, wanted - (starting + idle));
    const free = Math.max(0, profile.maxAgents - (busy + starting + idle));
    const backedOff = profile.backedOffUntil !== undefined && profile.backedOffUntil > input.now;
    if (backedOff && short > 0) wakeUps.push(profile.backedOffUntil);
    const start = backedOff ? 0 : Math.min(short, free, room);
    room -= start;
    const heldBack = start >= short ? undefined : backedOff ? 'backoff' : start < free ? 'organization' : 'maxAgents';

    const surplus = Math.max(0, idle - wanted);
    const idleLongestFirst = mine
      .filter((a) => a.state === 'idle')
      .map((a) => ({ name: a.name, since: a.idleSince ?? input.now }))
      .sort((a, b) => a.since - b.since || a.name.localeCompare(b.name))
      .slice(0, surplus);
    const stop = idleLongestFirst.filter((a) => a.since + input.graceMs <= input.now).map((a) => a.name);
    for (const a of idleLongestFirst) if (a.since + input.graceMs > input.now) wakeUps.push(a.since + input.graceMs);

    return { profile: profile.name, waiting, standby: profile.standby, starting, idle, busy, start, stop, ...(heldBack ? { heldBack } : {}) };
  });
  return { profiles: decisions, ...(wakeUps.length ? { nextPassAt: Math.min(...wakeUps) } : {}) };
}
