import { createHash } from 'node:crypto';
import { qosClass } from './pod-status';
import type { Pod } from './types';

/**
 * Pod statuses as the legacy virtual node writes them: the ACI connector (virtual-kubelet/azure-aci,
 * pkg/provider/containergroup_to_pod.go, v1.5+) replaces the whole status with one it builds from
 * the container group. What differs from a kubelet, and what a client must not be misled by:
 *
 * - ACI reports an exited container as `Terminated` with its exit code; the connector maps
 *   `Terminated` (and `Succeeded`) to `terminated: {reason: 'Completed', exitCode: 0}` whatever the
 *   code was. Only the container states `Failed` and `Canceled` keep the code.
 * - The pod phase follows the group's state (restart policy Never: `Succeeded` when the container
 *   exited 0, `Failed` otherwise), so a Failed pod can hold a container "Completed" with code 0.
 *   The Job controller goes by the pod phase: the Job still fails (BackoffLimitExceeded).
 * - Conditions are Ready, Initialized and PodScheduled while the group runs or succeeded, none
 *   when it failed; the pod's own `reason` and `message` stay empty; `imageID` is empty and
 *   `containerID` is `aci://` plus a SHA-256 of the container's resource id.
 */
export function connectorRunning(pod: Pod, at: string, startTime: string): Record<string, unknown> {
  return {
    phase: 'Running',
    conditions: conditions(pod, 'Running', at),
    ...addresses,
    startTime,
    containerStatuses: pod.spec.containers.map((c) => ({
      ...identity(pod, c.name, c.image),
      ready: true,
      started: true,
      state: { running: { startedAt: at } },
    })),
    qosClass: qosClass(pod.spec),
  };
}

export function connectorTerminated(pod: Pod, at: string, exitCode: number): Record<string, unknown> {
  const startTime = (pod.status.startTime as string | undefined) ?? at;
  const groupState = exitCode === 0 ? 'Succeeded' : 'Failed';
  return {
    phase: groupState,
    conditions: conditions(pod, groupState, at),
    ...addresses,
    startTime,
    containerStatuses: pod.spec.containers.map((c) => ({
      ...identity(pod, c.name, c.image),
      ready: false,
      started: false,
      // The exit code is dropped here, as the connector does: `exitCode` is 0 for any code.
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: startTime, finishedAt: at } },
    })),
    qosClass: qosClass(pod.spec),
  };
}

// hostIP is the virtual-kubelet pod's own address; podIP the group's in the virtual node subnet.
const addresses = { hostIP: '10.224.0.71', podIP: '10.241.0.4', podIPs: [{ ip: '10.241.0.4' }] };

function conditions(pod: Pod, groupState: 'Running' | 'Succeeded' | 'Failed', at: string): Array<Record<string, unknown>> {
  if (groupState === 'Failed') return [];
  const created = pod.metadata.creationTimestamp;
  const condition = (type: string, status: 'True' | 'False', time: string) => ({ type, status, lastProbeTime: null, lastTransitionTime: time });
  // Ready only while every container runs: a terminated one maps to no running phase.
  const ready = groupState === 'Running';
  return [
    condition('Ready', ready ? 'True' : 'False', ready ? at : created),
    condition('Initialized', 'True', created),
    condition('PodScheduled', 'True', created),
  ];
}

function identity(pod: Pod, name: string, image: string): Record<string, unknown> {
  const group = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/MC_rg-ado-scaler_aks_westeurope/providers/Microsoft.ContainerInstance/containerGroups/${pod.metadata.namespace}-${pod.metadata.name}`;
  const containerID = `aci://${createHash('sha256').update(`${group}/containers/${name}`.toUpperCase()).digest('hex')}`;
  return { name, image, imageID: '', containerID, restartCount: 0, lastState: {} };
}
