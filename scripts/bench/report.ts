import type { CostRow, Figures } from './figures';

export interface ScenarioResult {
  readonly name: string;
  readonly description: string;
  readonly scaler: Figures;
  readonly baseline: Figures;
  readonly ratio: Partial<Record<keyof Figures, number>>;
  readonly verdict: string;
  /** Real seconds both runs took on this machine. */
  readonly realSeconds: number;
  /** Idle agents the trace's config keeps on standby (the standby row shows only then). */
  readonly standbyTarget: number;
  /** Agent cost per profile and per value of each profile tag (cost per team). */
  readonly costs: readonly CostRow[];
}

type Row = readonly [label: string, key: keyof Figures, digits: number];

const ROWS: readonly Row[] = [
  ['jobs served', 'served', 0],
  ['jobs cancelled by the trace', 'cancelled', 0],
  ['queued→assigned p50 (s)', 'p50', 1],
  ['queued→assigned p95 (s)', 'p95', 1],
  ['queued→assigned p99 (s)', 'p99', 1],
  ['queued→assigned max (s)', 'max', 1],
  ['makespan (s)', 'makespan', 1],
  ['ideal makespan (s)', 'ideal', 1],
  ['agents started per job', 'agentsPerJob', 2],
  ['idle agent-seconds per job', 'idleAgentSecondsPerJob', 1],
  ['agent cost per 1000 jobs (USD)', 'costPerJob', 2],
  ['ADO calls per job', 'adoCallsPerJob', 1],
  ['ARM/Kubernetes writes per job', 'computeWritesPerJob', 2],
  ['Key Vault reads per job', 'keyVaultReadsPerJob', 2],
  ['jobs first found by the timer', 'foundByTimer', 0],
  ['jobs whose every event was lost', 'unannounced', 0],
  ['  the longest one waited (s)', 'unannouncedMaxWait', 1],
  ["  ... for its pool's next pass (s)", 'unannouncedMaxLook', 1],
  ['agents registered but never given a job', 'joblessAgents', 0],
  ['  the longest one stayed (s)', 'joblessAgentMaxIdle', 1],
  ['jobs abandoned (busy agent stopped)', 'abandoned', 0],
  ['standby idle again after the last job (s)', 'standbyBackAfter', 1],
  ['dead-lettered messages', 'deadLettered', 0],
  ['jobs left waiting', 'leftWaiting', 0],
  ['live containers left', 'liveContainersLeft', 0],
  ['finished containers kept', 'finishedContainersLeft', 0],
  ['agent registrations left', 'registrationsLeft', 0],
];

/** One table per scenario: each figure for the scaler and the baseline, and their ratio. */
export function scenarioTable(result: ScenarioResult): string {
  const value = (f: Figures, key: keyof Figures, digits: number) =>
    Number.isNaN(f[key]) ? 'never' : (key === 'costPerJob' ? f[key] * 1000 : f[key]).toFixed(digits);
  const lines = [
    `${result.name}: ${result.description} (${result.scaler.jobs} jobs; both runs took ${result.realSeconds.toFixed(0)} s here)`,
    `  ${'figure'.padEnd(40)}${'scaler'.padStart(10)}${'KEDA-like'.padStart(11)}${'ratio'.padStart(8)}`,
    ...ROWS.filter(([, key]) => key !== 'standbyBackAfter' || result.standbyTarget > 0).map(([label, key, digits]) => {
      const ratio = result.ratio[key];
      return `  ${label.padEnd(40)}${value(result.scaler, key, digits).padStart(10)}${value(result.baseline, key, digits).padStart(11)}${(ratio === undefined ? '-' : ratio.toFixed(2)).padStart(8)}`;
    }),
    ...costTable(result.costs),
    `  verdict: ${result.verdict}`,
  ];
  return lines.join('\n');
}

/**
 * Agent cost per 1000 jobs per profile, each profile's cost over the jobs its agents served, then
 * summed per tag value (what Cost Management shows grouped by that tag); the profile's tags after
 * its name. "-" where a system started no agent of it, "no jobs" where its agents served none.
 */
export function costTable(rows: readonly CostRow[]): string[] {
  if (rows.length === 0) return [];
  const label = (r: CostRow) => {
    const tags = Object.entries(r.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return r.kind === 'tag' ? `by tag ${r.label}` : `${r.label}${tags ? ` [${tags}]` : ''}`;
  };
  const width = Math.max(40, ...rows.map((r) => label(r).length + 4));
  const cost = (c: CostRow['scaler']) => (c === undefined ? '-' : Number.isNaN(c.costPerJob) ? 'no jobs' : (c.costPerJob * 1000).toFixed(2));
  return [
    `  ${'agent cost per 1000 jobs by profile (USD)'.padEnd(width)}${'scaler'.padStart(10)}${'KEDA-like'.padStart(11)}  jobs served`,
    ...rows.map(
      (r) =>
        `  ${`  ${label(r)}`.padEnd(width)}${cost(r.scaler).padStart(10)}${cost(r.baseline).padStart(11)}  ${r.scaler?.served ?? 0} / ${r.baseline?.served ?? 0}`,
    ),
  ];
}
