import type { V1Job, V1Pod } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { AGENT_CONTAINER, ANNOTATIONS } from './aks-manifest';
import { LABELS, launchedAgent, MANAGED_BY, type AgentPhase, type LaunchedAgent } from '../launcher';

/**
 * The agent a Job runs, read from its labels and annotations and its pod's state; undefined for
 * Jobs the scaler did not start. `pods` may hold other Jobs' pods; only this Job's count.
 */
export function agentOfJob(job: V1Job, pods: readonly V1Pod[]): LaunchedAgent | undefined {
  const labels = job.metadata?.labels ?? {};
  const annotations = job.metadata?.annotations ?? {};
  if (labels[MANAGED_BY.key] !== MANAGED_BY.value) return undefined;
  const state = phaseOfJob(job, pods);
  return launchedAgent({
    name: job.metadata?.name,
    orgUrl: annotations[ANNOTATIONS.org],
    pool: annotations[ANNOTATIONS.pool],
    profile: labels[LABELS.profile],
    standby: labels[LABELS.standby],
    createdAt: toDate(job.metadata?.creationTimestamp),
    ...state,
  });
}

export interface JobAgentState {
  readonly phase: AgentPhase;
  readonly exitCode?: number;
  readonly failed?: true;
}

/**
 * With restartPolicy Never and backoffLimit 0 the Job has one pod, whose phase and agent
 * container say how the agent ended. The phase comes first: on the legacy virtual node the ACI
 * connector shows every exited container as "Completed" with exit code 0 and only the phase (the
 * container group's state) says it failed; a pod the connector could not create is Failed with
 * reason ProviderFailed and no container state at all. So a Failed pod is a failure whatever its
 * container says, with the exit code only when one is there to trust (non-zero). The Job's own
 * conditions cover a pod already gone (deleted, evicted).
 */
export function phaseOfJob(job: V1Job, pods: readonly V1Pod[]): JobAgentState {
  const pod = latest(pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.uid === job.metadata?.uid)));
  const container = pod?.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER) ?? pod?.status?.containerStatuses?.[0];
  const terminated = container?.state?.terminated;
  if (pod?.status?.phase === 'Failed') {
    return terminated?.exitCode ? { phase: 'finished', exitCode: terminated.exitCode } : { phase: 'finished', failed: true };
  }
  if (terminated) return { phase: 'finished', exitCode: terminated.exitCode };
  if (pod?.status?.phase === 'Succeeded') return { phase: 'finished', exitCode: 0 };
  const conditions = job.status?.conditions ?? [];
  const holds = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  if (holds('Complete')) return { phase: 'finished', exitCode: 0 };
  if (holds('Failed')) return { phase: 'finished', failed: true };
  if (pod?.status?.phase === 'Running' || container?.state?.running) return { phase: 'running' };
  return { phase: 'starting' };
}

function latest(pods: readonly V1Pod[]): V1Pod | undefined {
  return [...pods].sort((a, b) => (toDate(b.metadata?.creationTimestamp)?.getTime() ?? 0) - (toDate(a.metadata?.creationTimestamp)?.getTime() ?? 0))[0];
}

// client-node turns timestamps into Dates; accept a string too, as a raw object carries.
function toDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
