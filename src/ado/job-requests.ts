import { z } from 'zod';
import { parseDemands, type Demand } from './demands';

export type JobRequestState = 'waiting' | 'running' | 'finished';

export interface JobRequest {
  readonly requestId: number;
  readonly jobId: string;
  readonly poolId?: number;
  readonly planId?: string;
  readonly queueTime?: string;
  /** When ADO gave it to an agent (assignTime, else receiveTime), once running or finished. */
  readonly assignTime?: string;
  /** When it finished, for finished requests. */
  readonly finishTime?: string;
  /** How it ended, as ADO says (succeeded, succeededWithIssues, failed, canceled, skipped, abandoned), for finished requests. */
  readonly result?: string;
  /** The pipeline's name (definition.name), when ADO sends it: for people, never for decisions. */
  readonly pipeline?: string;
  readonly state: JobRequestState;
  /** The agent ADO gave it to (reservedAgent), once running or finished. */
  readonly agentName?: string;
  readonly demands: readonly Demand[];
  /** As ADO sent them, for messages and for the agent's own matching. */
  readonly rawDemands: readonly string[];
  /** ADO's own list of the agents (offline placeholders too) that meet the demands, when it sends one. */
  readonly matchedAgents?: readonly string[];
}

// Only the fields we act on are checked; ADO adds fields over time and we must not reject them.
const jobRequestSchema = z.looseObject({
  requestId: z.number(),
  jobId: z.string(),
  poolId: z.number().optional(),
  planId: z.string().optional(),
  queueTime: z.string().optional(),
  assignTime: z.string().optional(),
  receiveTime: z.string().optional(),
  finishTime: z.string().optional(),
  result: z.string().nullish(),
  reservedAgent: z.looseObject({ name: z.string().optional() }).nullish().catch(undefined),
  definition: z.looseObject({ name: z.string().optional() }).nullish().catch(undefined),
  demands: z.array(z.string()).nullish(),
  matchedAgents: z
    .array(z.looseObject({ name: z.string().optional() }))
    .nullish()
    .catch(undefined),
});

export const jobRequestListSchema = z.looseObject({ value: z.array(jobRequestSchema).nullish() });

type RawJobRequest = z.infer<typeof jobRequestSchema>;

/** Waiting = ADO has not given it to an agent: no result, no assign/receive time, no reserved agent. */
export function stateOf(r: RawJobRequest): JobRequestState {
  if ((r.result !== undefined && r.result !== null) || r.finishTime) return 'finished';
  if (r.assignTime || r.receiveTime || r.reservedAgent) return 'running';
  return 'waiting';
}

/**
 * A retried job reuses its jobId with a new request: only the highest requestId per jobId
 * describes the job now.
 */
export function currentJobRequests(list: unknown): JobRequest[] {
  const parsed = jobRequestListSchema.parse(list);
  const latest = new Map<string, RawJobRequest>();
  for (const r of parsed.value ?? []) {
    const key = r.jobId.toLowerCase();
    const seen = latest.get(key);
    if (!seen || seen.requestId < r.requestId) latest.set(key, r);
  }
  return [...latest.values()].sort((a, b) => a.requestId - b.requestId).map(toJobRequest);
}

function toJobRequest(r: RawJobRequest): JobRequest {
  const assignTime = r.assignTime || r.receiveTime;
  return {
    requestId: r.requestId,
    jobId: r.jobId,
    ...(r.poolId !== undefined ? { poolId: r.poolId } : {}),
    ...(r.planId ? { planId: r.planId } : {}),
    ...(r.queueTime ? { queueTime: r.queueTime } : {}),
    ...(assignTime ? { assignTime } : {}),
    ...(r.finishTime ? { finishTime: r.finishTime } : {}),
    ...(typeof r.result === 'string' ? { result: r.result } : {}),
    ...(r.definition?.name ? { pipeline: r.definition.name } : {}),
    state: stateOf(r),
    ...(r.reservedAgent?.name ? { agentName: r.reservedAgent.name } : {}),
    demands: parseDemands(r.demands ?? []),
    rawDemands: r.demands ?? [],
    ...(r.matchedAgents ? { matchedAgents: r.matchedAgents.flatMap((a) => (a.name ? [a.name] : [])) } : {}),
  };
}
