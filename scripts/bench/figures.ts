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
  }>;
  readonly agents: ReadonlyArray<{
    readonly createdAt: number;
    readonly registeredAt?: number;
    readonly exitedAt?: number;
    readonly jobStartedAt?: number;
    readonly cpu: number;
    readonly memoryGb: number;
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
    // Counted until the run ended: the cleanup after it is the same for every run.
    const end = Math.min(a.exitedAt ?? run.endedAt, run.endedAt);
    const lifetime = Math.max(0, end - a.createdAt) / 1000;
    const busy = a.jobStartedAt !== undefined ? Math.max(0, end - a.jobStartedAt) / 1000 : 0;
    idle += lifetime - busy;
    cost += lifetime * (a.cpu * prices.vcpuSecond + a.memoryGb * prices.gbSecond);
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
    run.agents.filter((a) => a.registeredAt !== undefined && a.registeredAt <= t && !(a.jobStartedAt !== undefined && a.jobStartedAt <= t) && !(a.exitedAt !== undefined && a.exitedAt <= t)).length;
  const moments = [from, ...run.agents.flatMap((a) => (a.registeredAt !== undefined && a.registeredAt > from && a.registeredAt <= run.endedAt ? [a.registeredAt] : []))].sort((a, b) => a - b);
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
