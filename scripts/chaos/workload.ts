import type { AdoEmulator, JobView } from '../../emulators/ado/ado-emulator';
import { sampleMs } from '../../emulators/core/latency';
import { JOB_DURATION, JOB_KINDS, type ChaosPlan } from './chaos-plan';

export interface PlannedJob {
  /** Seconds from the start of the workload. */
  readonly at: number;
  readonly demands: readonly string[];
  readonly durationMs: number;
  /** Picked for cancelling this long after it is queued. */
  readonly cancelAfterMs?: number;
}

/** `plan.jobs` jobs, Poisson arrivals over the window (sorted uniform times), a share picked for cancelling. */
export function planJobs(plan: ChaosPlan, random: () => number): PlannedJob[] {
  const times = Array.from({ length: plan.jobs }, () => Math.round(random() * plan.arrivalSeconds * 1000) / 1000).sort((a, b) => a - b);
  const cancelled = new Set(shuffle([...times.keys()], random).slice(0, Math.round(plan.jobs * plan.cancelRate)));
  return times.map((at, i) => {
    const kind = JOB_KINDS[Math.floor(random() * JOB_KINDS.length)]!;
    const durationMs = Math.max(500, sampleMs(JOB_DURATION, random));
    const cancelAfterMs = Math.round(random() * 10_000);
    return { at, demands: kind.demands, durationMs, ...(cancelled.has(i) ? { cancelAfterMs } : {}) };
  });
}

/** How each cancellation went: while the job waited, while an agent ran it, or on a stand-in. */
export interface CancelRecord {
  readonly requestId: number;
  readonly state: 'waiting' | 'running';
  /** The picked job had ended already, so the youngest job still open was cancelled instead. */
  readonly standIn: boolean;
}

export interface RunningWorkload {
  /** Request ids of the jobs queued so far, in queue order. */
  readonly requestIds: readonly number[];
  readonly cancels: readonly CancelRecord[];
  allQueued(): boolean;
  /** Every queued job has finished (succeeded, cancelled, abandoned, ...). */
  allEnded(): boolean;
  stop(): void;
}

/**
 * Queues each job at its time in the emulated pool, each with its own duration, and cancels the
 * picked ones after their delay. A picked job that has ended by then is replaced by the youngest
 * job still open, so the share cancelled is the plan's.
 */
export function playJobs(
  jobs: readonly PlannedJob[],
  ado: AdoEmulator,
  org: string,
  pool: string,
  durations: Map<number, number>,
  log: (line: string) => void,
): RunningWorkload {
  const requestIds: number[] = [];
  const cancels: CancelRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const view = (requestId: number): JobView | undefined => ado.jobs().find((j) => j.requestId === requestId);
  const cancel = (requestId: number) => {
    const picked = view(requestId);
    const cancelledIds = new Set(cancels.map((c) => c.requestId));
    const target =
      picked && picked.state !== 'finished'
        ? picked
        : ado
            .jobs()
            .filter((j) => j.state !== 'finished' && !cancelledIds.has(j.requestId) && requestIds.includes(j.requestId))
            .at(-1);
    if (!target) {
      log(`workload: job ${requestId} ended before its cancel and no job is open to cancel instead`);
      return;
    }
    ado.cancelJob(target.requestId);
    cancels.push({ requestId: target.requestId, state: target.state === 'running' ? 'running' : 'waiting', standIn: target.requestId !== requestId });
  };
  for (const job of jobs) {
    later(job.at * 1000, () => {
      const { requestId } = ado.queueJob({ org, pool, demands: [...job.demands] });
      durations.set(requestId, job.durationMs);
      requestIds.push(requestId);
      if (job.cancelAfterMs !== undefined) later(job.cancelAfterMs, () => cancel(requestId));
    });
  }
  return {
    requestIds,
    cancels,
    allQueued: () => requestIds.length === jobs.length,
    allEnded: () => {
      const finished = new Set(
        ado
          .jobs()
          .filter((j) => j.state === 'finished')
          .map((j) => j.requestId),
      );
      return requestIds.every((r) => finished.has(r));
    },
    stop: () => {
      timers.forEach(clearTimeout);
      timers.clear();
    },
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
