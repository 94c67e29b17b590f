import type { JobRequest } from '../ado/job-requests';
import { timeOf } from './format';

/** The results ADO gives a finished job request (TaskResult), each with its colour. */
export const RESULTS = ['succeeded', 'succeededWithIssues', 'failed', 'canceled', 'skipped', 'abandoned'] as const;
/** A finished job's result, or where an unfinished one is; `other` for a result this page does not know. */
export type Outcome = (typeof RESULTS)[number] | 'waiting' | 'running' | 'other';

export interface TimelineJob {
  readonly requestId: number;
  readonly pipeline?: string;
  readonly agent?: string;
  /** Epoch ms. */
  readonly queued: number;
  /** When ADO gave it to an agent; undefined while waiting, and for a job that ended before any agent took it. */
  readonly assigned?: number;
  /** Undefined while waiting or running. */
  readonly finished?: number;
  readonly outcome: Outcome;
  /** ADO's result as it came, for the tooltip. */
  readonly result?: string;
}

export interface Timeline {
  /** The span drawn, epoch ms: from the first job's queue time to now. */
  readonly from: number;
  readonly to: number;
  /** Oldest first. */
  readonly jobs: readonly TimelineJob[];
}

/** Jobs drawn per pool: the latest by queue time. */
export const TIMELINE_JOBS = 20;
/** The shortest span drawn, so that a few jobs of the last seconds are not stretched across the page. */
const MIN_SPAN_MS = 10_000;

/** The pool's latest jobs, queued → assigned → finished, from ADO's job requests. */
export function timelineOf(requests: readonly JobRequest[], now: number, limit = TIMELINE_JOBS): Timeline {
  const jobs = requests
    .flatMap((r): TimelineJob[] => {
      const queued = timeOf(r.queueTime);
      if (queued === undefined) return [];
      const finished = r.state === 'finished' ? Math.max(queued, timeOf(r.finishTime) ?? queued) : undefined;
      const assignedAt = r.state === 'waiting' ? undefined : timeOf(r.assignTime);
      const assigned = assignedAt === undefined ? undefined : Math.min(Math.max(queued, assignedAt), finished ?? Infinity);
      return [
        {
          requestId: r.requestId,
          ...(r.pipeline ? { pipeline: r.pipeline } : {}),
          ...(r.agentName ? { agent: r.agentName } : {}),
          queued,
          ...(assigned !== undefined ? { assigned } : {}),
          ...(finished !== undefined ? { finished } : {}),
          outcome: outcomeOf(r),
          ...(r.result ? { result: r.result } : {}),
        },
      ];
    })
    .sort((a, b) => a.queued - b.queued || a.requestId - b.requestId)
    .slice(-limit);
  const latest = Math.max(now, ...jobs.map((j) => j.finished ?? j.assigned ?? j.queued));
  const earliest = Math.min(latest - MIN_SPAN_MS, ...jobs.map((j) => j.queued));
  return { from: earliest, to: latest, jobs };
}

function outcomeOf(r: JobRequest): Outcome {
  if (r.state !== 'finished') return r.state;
  return (RESULTS as readonly string[]).includes(r.result ?? '') ? (r.result as Outcome) : 'other';
}

/** How long a job waited for an agent: until assigned, until it ended unassigned, or so far. */
export function waitOf(job: TimelineJob, now: number): number {
  return (job.assigned ?? job.finished ?? now) - job.queued;
}

/** The median and longest wait of the jobs drawn, and how many wait still. */
export function waitSummary(timeline: Timeline, now: number): { readonly median: number; readonly longest: number; readonly waiting: number } | undefined {
  const waits = timeline.jobs.map((j) => waitOf(j, now)).sort((a, b) => a - b);
  if (waits.length === 0) return undefined;
  const mid = Math.floor(waits.length / 2);
  const median = waits.length % 2 ? waits[mid]! : (waits[mid - 1]! + waits[mid]!) / 2;
  return { median, longest: waits.at(-1)!, waiting: timeline.jobs.filter((j) => j.outcome === 'waiting').length };
}
