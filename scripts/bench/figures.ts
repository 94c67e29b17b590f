/** What one run (the scaler's or the baseline's) left behind, in model time (epoch ms). */
export interface RunObservation {
  readonly system: 'scaler' | 'baseline';
  readonly startedAt: number;
  readonly endedAt: number;
  readonly jobs: ReadonlyArray<{
    readonly queuedAt: number;
    readonly assignedAt?: number;
    readonly finishedAt?: number;
    readonly result?: string;
    /** The trace cancelled it before an agent took it. */
    readonly cancelled: boolean;
    /** The first pass that saw it came from the timer (sweep or poll), not from an event. */
    readonly foundByTimer: boolean;
    /** When the first pass of its pool after it was queued came (the scaler's; absent for the baseline). */
    readonly firstLookAt?: number;
    /** ADO delivered none of its "waiting" events, though a subscription asked for them (all were lost). */
    readonly unannounced: boolean;
    /** The profile of the agent that took it ("pool/profile"), when one did. */
    readonly profile?: string;
  }>;
  readonly agents: ReadonlyArray<{
    readonly createdAt: number;
    readonly registeredAt?: number;
    readonly exitedAt?: number;
    readonly jobStartedAt?: number;
    readonly cpu: number;
    readonly memoryGb: number;
    /** "pool/profile", from the container's tags or labels. */
    readonly profile?: string;
  }>;
  readonly adoCalls: number;
  readonly computeWrites: number;
  readonly keyVaultReads: number;
  readonly deadLettered: number;
  /** After the run and two upkeep runs (KEDA: its own history-limit cleanup). */
  readonly left: { readonly liveContainers: number; readonly finishedContainers: number; readonly registrations: number };
}

/** ACI Linux pay-as-you-go, per second (see README "Performance" for the source and date). */
export interface Prices {
  readonly vcpuSecond: number;
  readonly gbSecond: number;
}

export const DEFAULT_PRICES: Prices = { vcpuSecond: 0.0000113, gbSecond: 0.0000012 };

export interface Figures {
  jobs: number;
  served: number;
  cancelled: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  makespan: number;
  ideal: number;
  agentsPerJob: number;
  idleAgentSecondsPerJob: number;
  costPerJob: number;
  adoCallsPerJob: number;
  computeWritesPerJob: number;
  keyVaultReadsPerJob: number;
  foundByTimer: number;
  /** Jobs whose every waiting event was lost, and the longest any of them waited. */
  unannounced: number;
  unannouncedMaxWait: number;
  /** ... and the longest any of them waited for its pool's next pass (capacity waits not included). */
  unannouncedMaxLook: number;
  /** Agents that registered and never got a job, and the longest one stayed registered. */
  joblessAgents: number;
  joblessAgentMaxIdle: number;
  /** Jobs ended as abandoned: their agent was stopped while it ran them. */
  abandoned: number;
  /** With a standby target: seconds from the last agent starting its job until that many agents idle again (NaN: never). */
  standbyBackAfter: number;
  deadLettered: number;
  leftWaiting: number;
  liveContainersLeft: number;
  finishedContainersLeft: number;
  registrationsLeft: number;
}

/** Seconds everywhere; per-job figures divide by jobs served (at least 1). */
export function figuresOf(run: RunObservation, idealMakespanMs: number, prices: Prices = DEFAULT_PRICES, standbyTarget = 0): Figures {
  const served = run.jobs.filter((j) => j.assignedAt !== undefined && !j.cancelled);
  const waits = served.map((j) => (j.assignedAt! - j.queuedAt) / 1000).sort((a, b) => a - b);
  const firstQueued = Math.min(...run.jobs.map((j) => j.queuedAt));
  const lastFinished = Math.max(firstQueued, ...served.map((j) => j.finishedAt ?? run.endedAt));
  const perJob = Math.max(1, served.length);
  const jobless = run.agents.filter((a) => a.registeredAt !== undefined && a.jobStartedAt === undefined);
  let idle = 0;
  let cost = 0;
  for (const a of run.agents) {
    const end = agentEnd(run, a);
    const lifetime = Math.max(0, end - a.createdAt) / 1000;
    const busy = a.jobStartedAt !== undefined ? Math.max(0, end - a.jobStartedAt) / 1000 : 0;
    idle += lifetime - busy;
    cost += agentCost(run, a, prices);
  }
  return {
    jobs: run.jobs.length,
    served: served.length,
    cancelled: run.jobs.filter((j) => j.cancelled).length,
    p50: quantile(waits, 0.5),
    p95: quantile(waits, 0.95),
    p99: quantile(waits, 0.99),
    max: waits.at(-1) ?? 0,
    makespan: (lastFinished - firstQueued) / 1000,
    ideal: idealMakespanMs / 1000,
    agentsPerJob: run.agents.length / perJob,
    idleAgentSecondsPerJob: idle / perJob,
    costPerJob: cost / perJob,
    adoCallsPerJob: run.adoCalls / perJob,
    computeWritesPerJob: run.computeWrites / perJob,
    keyVaultReadsPerJob: run.keyVaultReads / perJob,
    foundByTimer: served.filter((j) => j.foundByTimer).length,
    unannounced: served.filter((j) => j.unannounced).length,
    unannouncedMaxWait: Math.max(0, ...served.filter((j) => j.unannounced).map((j) => (j.assignedAt! - j.queuedAt) / 1000)),
    unannouncedMaxLook: Math.max(0, ...served.filter((j) => j.unannounced).map((j) => ((j.firstLookAt ?? j.assignedAt!) - j.queuedAt) / 1000)),
    joblessAgents: jobless.length,
    joblessAgentMaxIdle: Math.max(0, ...jobless.map((a) => (Math.min(a.exitedAt ?? run.endedAt, run.endedAt) - a.registeredAt!) / 1000)),
    abandoned: run.jobs.filter((j) => j.result === 'abandoned').length,
    standbyBackAfter: standbyTarget > 0 ? standbyBackAfter(run, standbyTarget) : 0,
    deadLettered: run.deadLettered,
    leftWaiting: run.jobs.filter((j) => j.assignedAt === undefined && !j.cancelled).length,
    liveContainersLeft: run.left.liveContainers,
    finishedContainersLeft: run.left.finishedContainers,
    registrationsLeft: run.left.registrations,
  };
}

type Agent = RunObservation['agents'][number];

/** Counted until the run ended: the cleanup after it is the same for every run. */
function agentEnd(run: RunObservation, a: Agent): number {
  return Math.min(a.exitedAt ?? run.endedAt, run.endedAt);
}

/** What an agent cost: its lifetime (create → exit) times its vCPU and memory. */
function agentCost(run: RunObservation, a: Agent, prices: Prices): number {
  return (Math.max(0, agentEnd(run, a) - a.createdAt) / 1000) * (a.cpu * prices.vcpuSecond + a.memoryGb * prices.gbSecond);
}

/** One profile's (or one tag value's) part of a run's agent cost: what Cost Management shows when grouped by it. */
export interface CostShare {
  /** "pool/profile" ("(unknown)" for agents or jobs whose container was never seen with its tags), or the tag's value. */
  readonly key: string;
  readonly agents: number;
  /** Jobs served by its agents. */
  readonly served: number;
  /** USD, every agent's lifetime at the prices. */
  readonly cost: number;
  /** cost / served; NaN when it served no job. */
  readonly costPerJob: number;
}

export const UNKNOWN_PROFILE = '(unknown)';

/**
 * The agent cost per profile, each divided by the jobs that profile's agents served (not by all
 * jobs): the profiles' costs add up to the run's, and an idle standby profile costs per job what
 * it cost its few jobs. Sorted by profile.
 */
export function costByProfile(run: RunObservation, prices: Prices = DEFAULT_PRICES): CostShare[] {
  const rows = new Map<string, { agents: number; served: number; cost: number }>();
  const row = (profile = UNKNOWN_PROFILE) => rows.get(profile) ?? rows.set(profile, { agents: 0, served: 0, cost: 0 }).get(profile)!;
  for (const a of run.agents) {
    const r = row(a.profile);
    r.agents += 1;
    r.cost += agentCost(run, a, prices);
  }
  for (const j of run.jobs) if (j.assignedAt !== undefined && !j.cancelled) row(j.profile).served += 1;
  return [...rows].sort(([a], [b]) => a.localeCompare(b)).map(([key, r]) => ({ key, ...r, costPerJob: r.served > 0 ? r.cost / r.served : Number.NaN }));
}

/**
 * The same figures summed per value of one tag (e.g. "team"), as Cost Management groups by it;
 * profiles without the tag under "(none)".
 */
export function costByTag(rows: readonly CostShare[], tagsOf: (profile: string) => Readonly<Record<string, string>> | undefined, tag: string): CostShare[] {
  const byValue = new Map<string, { agents: number; served: number; cost: number }>();
  for (const r of rows) {
    const value = tagsOf(r.key)?.[tag] ?? '(none)';
    const sum = byValue.get(value) ?? { agents: 0, served: 0, cost: 0 };
    byValue.set(value, { agents: sum.agents + r.agents, served: sum.served + r.served, cost: sum.cost + r.cost });
  }
  return [...byValue].sort(([a], [b]) => a.localeCompare(b)).map(([key, r]) => ({ key, ...r, costPerJob: r.served > 0 ? r.cost / r.served : Number.NaN }));
}

/**
 * From the moment the last agent began its job, how long until `target` agents were idle (registered,
 * no job, not exited) again; NaN when that never happened before the run ended.
 */
export function standbyBackAfter(run: RunObservation, target: number): number {
  // When the last agent began its job (ADO's assignment comes a poll earlier, while it still looks idle).
  const taken = run.agents.flatMap((a) => (a.jobStartedAt !== undefined ? [a.jobStartedAt] : []));
  if (taken.length === 0) return Number.NaN;
  const from = Math.max(...taken);
  const idleAt = (t: number) =>
    run.agents.filter(
      (a) =>
        a.registeredAt !== undefined &&
        a.registeredAt <= t &&
        !(a.jobStartedAt !== undefined && a.jobStartedAt <= t) &&
        !(a.exitedAt !== undefined && a.exitedAt <= t),
    ).length;
  const moments = [
    from,
    ...run.agents.flatMap((a) => (a.registeredAt !== undefined && a.registeredAt > from && a.registeredAt <= run.endedAt ? [a.registeredAt] : [])),
  ].sort((a, b) => a - b);
  const back = moments.find((t) => idleAt(t) >= target);
  return back === undefined ? Number.NaN : (back - from) / 1000;
}

/** Nearest-rank quantile of sorted values; 0 for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** scaler / baseline per figure; undefined where the baseline is 0 (no ratio to speak of). */
export function ratios(scaler: Figures, baseline: Figures): Partial<Record<keyof Figures, number>> {
  const out: Partial<Record<keyof Figures, number>> = {};
  for (const key of Object.keys(scaler) as Array<keyof Figures>) {
    if (baseline[key] !== 0 && Number.isFinite(baseline[key]) && Number.isFinite(scaler[key])) out[key] = scaler[key] / baseline[key];
  }
  return out;
}

/** One line a reader can act on: who waited less, who finished sooner, who cost less, and what was left. */
export function verdict(scaler: Figures, baseline: Figures, standbyTarget = 0): string {
  const compare = (what: string, a: number, b: number, lowerIsBetter = true) => {
    if (b === 0 && a === 0) return `${what} equal`;
    const ratio = b === 0 ? Infinity : a / b;
    const better = lowerIsBetter ? ratio < 0.95 : ratio > 1.05;
    const worse = lowerIsBetter ? ratio > 1.05 : ratio < 0.95;
    const r = Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'vs 0';
    return `${what} ${r}${better ? ' (better)' : worse ? ' (worse)' : ''}`;
  };
  const problems = [
    scaler.leftWaiting > 0 ? `${scaler.leftWaiting} jobs left waiting` : '',
    // Standby agents are meant to stay: only more than the target is left over.
    scaler.liveContainersLeft > standbyTarget ? `${scaler.liveContainersLeft} live containers left` : '',
    scaler.registrationsLeft > standbyTarget ? `${scaler.registrationsLeft} registrations left` : '',
    scaler.deadLettered > 0 ? `${scaler.deadLettered} dead-lettered` : '',
  ].filter(Boolean);
  return [
    `scaler vs KEDA-like: ${compare('p95 wait', scaler.p95, baseline.p95)}`,
    compare('makespan', scaler.makespan, baseline.makespan),
    compare('cost/job', scaler.costPerJob, baseline.costPerJob),
    `makespan ${(scaler.makespan / Math.max(scaler.ideal, 1e-9)).toFixed(2)}x ideal`,
    problems.length ? problems.join(', ') : 'nothing stranded or leaked',
  ].join('; ');
}

/** One line of the per-profile or per-tag cost table: the scaler's and the baseline's shares side by side. */
export interface CostRow {
  readonly kind: 'profile' | 'tag';
  /** "pool/profile", or "tag=value" ("tag (none)" for the profiles without it). */
  readonly label: string;
  /** The profile's tags (none on a per-tag line). */
  readonly tags: Readonly<Record<string, string>>;
  readonly scaler?: CostShare;
  readonly baseline?: CostShare;
}

/**
 * Per profile (the configured ones, whether or not they ran agents, and any other seen), then per
 * value of every tag a profile has (the tags in config order, the values sorted): what "cost per
 * team" looks like in Cost Management, for both systems.
 */
export function costRows(
  scaler: readonly CostShare[],
  baseline: readonly CostShare[],
  tagsOf: (profile: string) => Readonly<Record<string, string>> | undefined,
  configured: readonly string[] = [],
): CostRow[] {
  const profiles = [...new Set([...configured, ...scaler.map((r) => r.key), ...baseline.map((r) => r.key)])].sort((a, b) => a.localeCompare(b));
  const pair = (key: string, a: readonly CostShare[], b: readonly CostShare[]) => {
    const s = a.find((r) => r.key === key);
    const k = b.find((r) => r.key === key);
    return { ...(s ? { scaler: s } : {}), ...(k ? { baseline: k } : {}) };
  };
  const rows: CostRow[] = profiles.map((key) => ({ kind: 'profile', label: key, tags: tagsOf(key) ?? {}, ...pair(key, scaler, baseline) }));
  const tagNames = [...new Set(profiles.flatMap((p) => Object.keys(tagsOf(p) ?? {})))];
  for (const tag of tagNames) {
    const s = costByTag(scaler, tagsOf, tag);
    const k = costByTag(baseline, tagsOf, tag);
    const values = [...new Set(profiles.map((p) => tagsOf(p)?.[tag] ?? '(none)'))].sort((a, b) => a.localeCompare(b));
    for (const value of values) rows.push({ kind: 'tag', label: value === '(none)' ? `${tag} (none)` : `${tag}=${value}`, tags: {}, ...pair(value, s, k) });
  }
  return rows;
}
