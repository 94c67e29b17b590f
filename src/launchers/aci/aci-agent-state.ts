import type { ContainerGroup } from '@azure/arm-containerinstance';
import { AGENT_CONTAINER } from './aci-group-spec';
import { LABELS, launchedAgent, MANAGED_BY, type AgentPhase, type LaunchedAgent } from '../launcher';

/** The agent a container group runs, read from its tags; undefined for groups the scaler did not start. */
export function agentOfGroup(group: ContainerGroup, phase: AgentPhase, exitCode?: number): LaunchedAgent | undefined {
  const tags = group.tags ?? {};
  if (tags[MANAGED_BY.key] !== MANAGED_BY.value) return undefined;
  return launchedAgent({
    name: group.name,
    orgUrl: tags[LABELS.org],
    pool: tags[LABELS.pool],
    profile: tags[LABELS.profile],
    standby: tags[LABELS.standby],
    createdAt: new Date(tags[LABELS.createdAt] ?? ''),
    phase,
    ...(exitCode === undefined ? {} : { exitCode }),
  });
}

export interface GroupPhase {
  readonly phase: AgentPhase;
  readonly exitCode?: number;
}

/**
 * The agent's phase from a group as GET returns it (with instanceView). With restartPolicy
 * Never a terminated container stays terminated, so 'finished' is final.
 */
export function phaseOfGroup(group: ContainerGroup): GroupPhase {
  const container = group.containers.find((c) => c.name === AGENT_CONTAINER) ?? group.containers[0];
  const current = container?.instanceView?.currentState;
  const exit = current?.exitCode === undefined ? {} : { exitCode: current.exitCode };
  if (current?.state === 'Terminated') return { phase: 'finished', ...exit };
  const groupState = group.instanceView?.state;
  if (groupState === 'Succeeded' || groupState === 'Failed' || groupState === 'Stopped') return { phase: 'finished', ...exit };
  // A group whose deployment failed never runs its agent; upkeep may delete it.
  if (group.provisioningState === 'Failed') return { phase: 'finished' };
  if (current?.state === 'Running') return { phase: 'running' };
  return { phase: 'starting' };
}

/**
 * The phase from a list entry, which carries provisioningState but no instanceView; undefined
 * when only a GET can tell (a provisioned group may be running or finished).
 */
export function phaseFromList(group: ContainerGroup): GroupPhase | undefined {
  if (group.instanceView || group.containers.some((c) => c.instanceView)) return phaseOfGroup(group);
  const state = group.provisioningState?.toLowerCase();
  if (state === 'failed') return { phase: 'finished' };
  if (state === 'pending' || state === 'creating' || state === 'accepted') return { phase: 'starting' };
  return undefined;
}
