import { hasPendingUpdate } from './agent-updates';
import { agentMeetsDemands } from './demands';
import type { AgentRecord, JobRecord, PoolRecord } from './records';

export interface Assignment {
  readonly job: JobRecord;
  readonly agent: AgentRecord;
}

/**
 * An agent ADO would hand a job to now: it has a live session (online), is enabled, runs nothing
 * and has no update pending (ADO waits for the update first).
 */
export function isIdle(agent: AgentRecord): boolean {
  return agent.status === 'online' && agent.enabled && agent.assignedRequestId === undefined && !hasPendingUpdate(agent);
}

/**
 * Which idle agent of the pool takes which waiting request, as ADO's orchestrator decides:
 * the oldest waiting request first, each to an idle agent whose capabilities meet its demands,
 * one request per agent. A request no idle agent meets stays waiting and does not block the
 * younger ones behind it (ADO matches each request on its own demands).
 */
export function nextAssignments(orgName: string, pool: PoolRecord, jobs: Iterable<JobRecord>): Assignment[] {
  // Lowest id first: the longest-registered agent, a stable choice tests can predict.
  const idle = [...pool.agents.values()].filter(isIdle).sort((a, b) => a.id - b.id);
  if (idle.length === 0) return [];
  const waiting = [...jobs]
    .filter((j) => j.orgName === orgName && j.poolId === pool.id && j.assignTime === undefined && j.finishTime === undefined)
    .sort((a, b) => a.requestId - b.requestId);
  const assignments: Assignment[] = [];
  for (const job of waiting) {
    const index = idle.findIndex((a) => agentMeetsDemands(a, job.demands));
    if (index < 0) continue;
    const [agent] = idle.splice(index, 1);
    if (agent) assignments.push({ job, agent });
    if (idle.length === 0) break;
  }
  return assignments;
}
