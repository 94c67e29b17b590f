import { randomUUID } from 'node:crypto';
import { EmulatorError } from './emulator-error';
import type { HookDispatcher } from './hook-delivery';
import { agentMeetsDemands } from './demands';
import { nextAssignments } from './scheduling';
import type { AgentRecord, EmulatorState, JobRecord, PoolRecord } from './state';
import { JOB_RESULTS, type JobResult, type JobState, type JobView, type QueueJobInput, type QueuedJob } from './types';

/**
 * What a pipeline run does to a job request, and the service hooks each step sends. Waiting
 * requests go to idle matching agents by themselves (see scheduling.ts) whenever the pool
 * changes: a job queued, an agent registered or updated, a job ended.
 */
export class JobLifecycle {
  constructor(
    private readonly state: EmulatorState,
    private readonly hooks: HookDispatcher,
    /** ADO fails a job at once when no agent of the pool, in any state, meets its demands. */
    private readonly failUnmatched = false,
  ) {}

  queue(input: QueueJobInput): QueuedJob {
    if (typeof input.pool !== 'string' || input.pool === '') throw new EmulatorError(400, 'A job needs "pool": the name of an agent pool');
    const demands: readonly string[] = input.demands ?? [];
    // Admin callers send JSON: check what the type promises.
    const raw: unknown = demands;
    if (!Array.isArray(raw) || raw.some((d) => typeof d !== 'string')) {
      throw new EmulatorError(400, '"demands" must be an array of strings such as "Agent.OS -equals Linux"');
    }
    const org = this.state.org(input.org);
    const pool = this.state.poolByName(org, input.pool);
    const project = this.state.project(org, input.project);
    const buildId = this.state.newBuildId();
    const now = new Date(this.state.now());
    const day = now.toISOString().slice(0, 10).replaceAll('-', '');
    const pipelineName = input.pipelineName ?? 'emulated-pipeline';
    const job: JobRecord = {
      requestId: this.state.newRequestId(),
      jobId: input.jobId ?? randomUUID(),
      orgName: org.name,
      poolId: pool.id,
      projectId: project.id,
      planId: randomUUID(),
      demands: [...demands],
      queueTime: now.toISOString(),
      definitionId: this.state.definitionId(pipelineName),
      pipelineName,
      buildId,
      runName: `${day}.${buildId}`,
      stageId: randomUUID(),
      stageName: input.stageName ?? '__default',
      jobName: input.jobName ?? '__default',
    };
    this.state.jobs.set(job.requestId, job);
    if (this.failUnmatched && ![...pool.agents.values()].some((a) => agentMeetsDemands(a, job.demands))) {
      // "No agent found in pool … which satisfies the specified demands": what placeholders prevent.
      this.complete(job, 'failed');
      return { jobId: job.jobId, requestId: job.requestId };
    }
    this.hooks.publish(job, 'waiting');
    this.schedule(org.name, pool.id);
    return { jobId: job.jobId, requestId: job.requestId };
  }

  /** Explicit assignment; idempotent when the scheduler already gave this request to this agent. */
  assign(requestId: number, agentName: string): JobView {
    const job = this.state.job(requestId);
    const pool = this.pool(job);
    const agent = [...pool.agents.values()].find((a) => a.name.toLowerCase() === agentName.toLowerCase());
    if (!agent)
      throw new EmulatorError(404, `Agent "${agentName}" is not registered in pool "${pool.name}": register it first (POST .../pools/${pool.id}/agents)`);
    if (stateOf(job) === 'running' && job.agentId === agent.id) return this.view(job);
    if (stateOf(job) !== 'waiting') throw new EmulatorError(409, `Job request ${requestId} is ${stateOf(job)}, not waiting`);
    if (agent.assignedRequestId !== undefined) throw new EmulatorError(409, `Agent "${agent.name}" is busy with job request ${agent.assignedRequestId}`);
    this.give(job, agent);
    return this.view(job);
  }

  /** Hands waiting requests of the pool (or of every pool of the organization) to idle agents that meet their demands. */
  schedule(orgName: string, poolId?: number): void {
    if (!this.state.schedulingEnabled) return;
    for (const pool of this.state.org(orgName).pools.values()) {
      if (poolId !== undefined && pool.id !== poolId) continue;
      for (const { job, agent } of nextAssignments(orgName, pool, this.state.jobs.values())) this.give(job, agent);
    }
  }

  setScheduling(enabled: boolean): void {
    if (typeof enabled !== 'boolean') throw new EmulatorError(400, 'Scheduling needs "enabled": true or false');
    this.state.schedulingEnabled = enabled;
    if (enabled) for (const org of this.state.orgs.values()) this.schedule(org.name);
  }

  /**
   * The agent's session ended without a goodbye (its container was killed): ADO shows it offline
   * and, once the job's lock lapses, abandons the job it ran. The emulator does both at once.
   */
  disconnectAgent(agentId: number, orgName?: string): { agentId: number; abandonedRequestId?: number } {
    const org = this.state.org(orgName);
    const pool = [...org.pools.values()].find((p) => p.agents.has(agentId));
    const agent = pool?.agents.get(agentId);
    if (!agent) throw new EmulatorError(404, `Agent ${agentId} is not registered in organization "${org.name}"`);
    const running = agent.assignedRequestId !== undefined ? this.state.jobs.get(agent.assignedRequestId) : undefined;
    if (agent.status !== 'offline') agent.statusChangedOn = this.state.iso();
    agent.status = 'offline';
    if (running && stateOf(running) === 'running') {
      this.complete(running, 'abandoned');
      return { agentId, abandonedRequestId: running.requestId };
    }
    return { agentId };
  }

  finish(requestId: number, result: string = 'succeeded'): JobView {
    if (!(JOB_RESULTS as readonly string[]).includes(result)) throw new EmulatorError(400, `Result "${result}" is not one of ${JOB_RESULTS.join(', ')}`);
    const job = this.state.job(requestId);
    if (stateOf(job) !== 'running') throw new EmulatorError(409, `Job request ${requestId} is ${stateOf(job)}, not running`);
    this.complete(job, result as JobResult);
    return this.view(job);
  }

  cancel(requestId: number): JobView {
    const job = this.state.job(requestId);
    if (stateOf(job) === 'finished') throw new EmulatorError(409, `Job request ${requestId} is already finished (${job.result})`);
    this.complete(job, 'canceled');
    return this.view(job);
  }

  /** The waiting event again, whatever the job's state now: ADO sends duplicates and late ones. */
  redeliver(requestId: number): number {
    return this.hooks.publish(this.state.job(requestId), 'waiting');
  }

  list(): JobView[] {
    return [...this.state.jobs.values()].sort((a, b) => a.requestId - b.requestId).map((j) => this.view(j));
  }

  view(job: JobRecord): JobView {
    const org = this.state.org(job.orgName);
    return {
      requestId: job.requestId,
      jobId: job.jobId,
      org: org.name,
      pool: this.pool(job).name,
      poolId: job.poolId,
      project: org.projects.find((p) => p.id === job.projectId)?.name ?? job.projectId,
      state: stateOf(job),
      ...(job.result !== undefined ? { result: job.result } : {}),
      ...(job.agentName !== undefined ? { agentName: job.agentName } : {}),
      demands: job.demands,
      queueTime: job.queueTime,
      ...(job.assignTime !== undefined ? { assignTime: job.assignTime } : {}),
      ...(job.finishTime !== undefined ? { finishTime: job.finishTime } : {}),
    };
  }

  private complete(job: JobRecord, result: JobResult): void {
    const now = this.state.iso();
    job.finishTime = now;
    job.result = result;
    const agent = job.agentId !== undefined ? this.pool(job).agents.get(job.agentId) : undefined;
    if (agent && agent.assignedRequestId === job.requestId) {
      agent.assignedRequestId = undefined;
      agent.lastCompletedRequestId = job.requestId;
      // Agents here are one-shot (`--once`): after a job the process exits and ADO shows it offline.
      agent.status = 'offline';
      agent.statusChangedOn = now;
    }
    this.hooks.publish(job, 'completed');
    this.schedule(job.orgName, job.poolId);
  }

  private give(job: JobRecord, agent: AgentRecord): void {
    const now = this.state.iso();
    job.assignTime = now;
    job.receiveTime = now;
    job.agentId = agent.id;
    job.agentName = agent.name;
    agent.assignedRequestId = job.requestId;
    if (agent.status !== 'online') agent.statusChangedOn = now;
    agent.status = 'online';
    this.hooks.publish(job, 'running');
  }

  private pool(job: JobRecord): PoolRecord {
    const pool = this.state.org(job.orgName).pools.get(job.poolId);
    if (!pool) throw new EmulatorError(404, `Pool ${job.poolId} of job request ${job.requestId} no longer exists`);
    return pool;
  }
}

export function stateOf(job: JobRecord): JobState {
  if (job.finishTime !== undefined) return 'finished';
  if (job.assignTime !== undefined) return 'running';
  return 'waiting';
}
