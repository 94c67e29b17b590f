import type { DeliveryLogEntry, JobView } from '../../emulators/ado/ado-emulator';
import type { ContainerRecord } from '../local-stack/emulator-stack';
import { figuresOf, type Figures, type RunObservation } from '../bench/figures';
import type { BusyStops } from './busy-stops';
import type { DeadLetterCause } from './dead-letters';
import type { Leftovers } from './leftovers';
import type { SecretSearch } from './secret-search';
import type { CancelRecord } from './workload';

/** Everything the run observed, gathered by chaos-run.ts. */
export interface ChaosObservation {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly requestIds: readonly number[];
  readonly jobs: readonly JobView[];
  readonly cancels: readonly CancelRecord[];
  readonly containers: readonly ContainerRecord[];
  readonly deliveries: readonly DeliveryLogEntry[];
  readonly busy: BusyStops;
  readonly left: Leftovers;
  readonly deadLetters: readonly DeadLetterCause[];
  readonly secrets: SecretSearch;
}

export interface ChaosFigures {
  readonly bench: Figures;
  readonly queued: number;
  /** Jobs an agent ran to `succeeded`. */
  readonly served: number;
  readonly cancelledWaiting: number;
  readonly cancelledRunning: number;
  readonly cancelStandIns: number;
  /** Neither served nor cancelled by the workload: still waiting or running at the end, or ended otherwise (abandoned, failed). */
  readonly stranded: readonly string[];
  readonly slowest?: { readonly requestId: number; readonly waitSeconds: number; readonly queuedAtSeconds: number };
  readonly agentsStarted: number;
  /** Agents that exited 1 (could not register, e.g. a revoked PAT, or lost their registration). */
  readonly agentsFailed: number;
  readonly hookAttempts: number;
  /** Events sent to an enabled subscription: lost on the way, or delivered (at least tried) once or twice. */
  readonly hookEvents: number;
  readonly hookLost: number;
  readonly hookDuplicated: number;
  readonly hookProbations: number;
  readonly hookDropped: number;
  readonly busyStopped: number;
  readonly containersLeaked: number;
  readonly transientDeadLetters: number;
  readonly badDeadLetters: number;
}

/** The figures of one run; waits and agents per job come from the bench's own arithmetic (figures.ts). */
export function chaosFigures(o: ChaosObservation): ChaosFigures {
  const byId = new Map(o.jobs.map((j) => [j.requestId, j]));
  const cancelled = new Map(o.cancels.map((c) => [c.requestId, c]));
  const views = o.requestIds.flatMap((id) => byId.get(id) ?? []);
  const run: RunObservation = {
    system: 'scaler',
    startedAt: o.startedAt,
    endedAt: o.endedAt,
    // As the bench counts: a job cancelled before an agent took it is not served; one cancelled under its agent was.
    jobs: views.map((v) => ({
      queuedAt: Date.parse(v.queueTime),
      ...(v.assignTime ? { assignedAt: Date.parse(v.assignTime) } : {}),
      ...(v.finishTime ? { finishedAt: Date.parse(v.finishTime) } : {}),
      ...(v.result ? { result: v.result } : {}),
      cancelled: cancelled.get(v.requestId)?.state === 'waiting',
      foundByTimer: false,
      unannounced: false,
    })),
    agents: o.containers.map((c) => ({
      createdAt: c.createdAt,
      ...(c.registeredAt !== undefined ? { registeredAt: c.registeredAt } : {}),
      ...(c.exitedAt !== undefined ? { exitedAt: c.exitedAt } : {}),
      ...(c.jobStartedAt !== undefined ? { jobStartedAt: c.jobStartedAt } : {}),
      cpu: 1,
      memoryGb: 2,
    })),
    adoCalls: 0,
    computeWrites: 0,
    keyVaultReads: 0,
    deadLettered: o.deadLetters.length,
    left: { liveContainers: o.left.liveContainers, finishedContainers: o.left.finishedKept + o.left.finishedBeyondKeep, registrations: o.left.registrations },
  };
  const stranded = o.requestIds.flatMap((id) => {
    const v = byId.get(id);
    if (cancelled.has(id) || v?.result === 'succeeded') return [];
    return [`${id}: ${v ? (v.state === 'finished' ? `ended ${v.result ?? '?'}` : `still ${v.state}`) : 'unknown'}`];
  });
  const waits = views.filter((v) => v.assignTime && cancelled.get(v.requestId)?.state !== 'waiting');
  const slowest = waits
    .map((v) => ({
      requestId: v.requestId,
      waitSeconds: (Date.parse(v.assignTime!) - Date.parse(v.queueTime)) / 1000,
      queuedAtSeconds: (Date.parse(v.queueTime) - o.startedAt) / 1000,
    }))
    .sort((a, b) => b.waitSeconds - a.waitSeconds)[0];
  const firstAttempts = o.deliveries.filter((d) => d.attempt <= 1);
  return {
    bench: figuresOf(run, 0),
    queued: views.length,
    served: views.filter((v) => v.result === 'succeeded').length,
    cancelledWaiting: o.cancels.filter((c) => c.state === 'waiting').length,
    cancelledRunning: o.cancels.filter((c) => c.state === 'running').length,
    cancelStandIns: o.cancels.filter((c) => c.standIn).length,
    stranded,
    ...(slowest ? { slowest } : {}),
    agentsStarted: o.containers.length,
    agentsFailed: o.containers.filter((c) => c.exitCode === 1).length,
    hookAttempts: o.deliveries.filter((d) => d.attempt >= 1).length,
    hookEvents: firstAttempts.filter((d) => d.outcome === 'lost' || (d.attempt === 1 && !d.duplicate)).length,
    hookLost: firstAttempts.filter((d) => d.outcome === 'lost').length,
    hookDuplicated: firstAttempts.filter((d) => d.attempt === 1 && d.duplicate).length,
    hookProbations: o.deliveries.filter((d) => d.outcome === 'probation').length,
    hookDropped: o.deliveries.filter((d) => d.outcome === 'dropped').length,
    busyStopped: o.busy.abandonedJobs.length + o.busy.busyRegistrationsDeleted.length,
    containersLeaked: o.left.liveContainers + o.left.finishedBeyondKeep + o.left.orphanedSecrets + o.left.runningAgents,
    transientDeadLetters: o.deadLetters.filter((d) => d.cause === 'transient').length,
    badDeadLetters: o.deadLetters.filter((d) => d.cause === 'bad message').length,
  };
}
