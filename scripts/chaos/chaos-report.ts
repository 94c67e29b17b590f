import type { Check } from './chaos-checks';
import type { ChaosEvidence } from './chaos-evidence';
import type { ChaosFigures, ChaosObservation } from './chaos-figures';
import { summariseDeadLetters } from './dead-letters';

/** The figures of a run as a Markdown table, ready for the README. */
export function figuresTable(f: ChaosFigures, o: ChaosObservation, e: ChaosEvidence, wallMs: number): string {
  const b = f.bench;
  const s = (n: number) => n.toFixed(1);
  const { left } = o;
  const rows: Array<[string, string]> = [
    [
      'jobs queued / served / cancelled (waiting, running) / stranded',
      `${f.queued} / ${f.served} / ${f.cancelledWaiting + f.cancelledRunning} (${f.cancelledWaiting}, ${f.cancelledRunning}) / ${f.stranded.length}`,
    ],
    ['wait, queued → assigned: p50 / p95 / max (s)', `${s(b.p50)} / ${s(b.p95)} / ${s(b.max)}`],
    ["slowest job's wait", f.slowest ? `${s(f.slowest.waitSeconds)} s (request ${f.slowest.requestId}, queued at t+${s(f.slowest.queuedAtSeconds)} s)` : '-'],
    ['agents started; per job an agent took', `${f.agentsStarted}; ${b.agentsPerJob.toFixed(2)}`],
    ['agents that never got a job (longest idle); exited 1', `${b.joblessAgents} (${s(b.joblessAgentMaxIdle)} s); ${f.agentsFailed}`],
    [
      'busy agents stopped (jobs abandoned + busy registrations deleted)',
      `${f.busyStopped} (${o.busy.abandonedJobs.length} + ${o.busy.busyRegistrationsDeleted.length})`,
    ],
    [
      'left after two upkeep runs: live containers, finished beyond keepFinished, orphaned Secrets, agent processes, registrations',
      `${left.liveContainers}, ${left.finishedBeyondKeep}, ${left.orphanedSecrets}, ${left.runningAgents}, ${left.registrations} (${left.finishedKept} finished kept by design)`,
    ],
    ['dead-lettered: transient cause / bad message', `${f.transientDeadLetters} / ${f.badDeadLetters} — ${summariseDeadLetters(o.deadLetters)}`],
    [
      'secret values found outside their places',
      `${o.secrets.findings.length} (${o.secrets.values} values; ${Object.values(o.secrets.searched).reduce((n, c) => n + c, 0)} log lines, requests, messages, objects and rows searched)`,
    ],
    [
      'hook events: lost / delivered twice / probations / dropped on probation',
      `${f.hookLost} / ${f.hookDuplicated} of ${f.hookEvents}; ${f.hookProbations} / ${f.hookDropped}`,
    ],
    [
      'faults met: ARM 429 / ARM 500 / Kubernetes 503 / Key Vault 503',
      `${e.armInjected429} / ${e.armInjected500} / ${e.kubernetesInjected503} / ${e.keyVaultRefused}`,
    ],
    ['makespan (first queued → last finished)', `${s(b.makespan)} s`],
    ['wall time of the run', `${Math.floor(wallMs / 60_000)} min ${Math.round((wallMs % 60_000) / 1000)} s`],
  ];
  return ['| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

/** One PASS/FAIL line per check. */
export function checkLines(checks: readonly Check[]): string {
  return checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'} ${c.kind === 'invariant' ? 'invariant' : 'chaos    '} ${c.name}: ${c.detail}`).join('\n');
}
