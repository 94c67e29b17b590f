import type { PodSpec, Toleration } from './types';

/**
 * The cluster's nodes as the scheduler sees them: an ordinary node pool, the legacy virtual node
 * (ACI add-on: virtual-kubelet with label type=virtual-kubelet) and a virtual nodes v2 node
 * (label virtualization=virtualnode2). Both virtual nodes carry the virtual-kubelet.io/provider
 * NoSchedule taint, so a pod lands there only with the matching nodeSelector and toleration.
 */
export type VirtualNodeKind = 'legacy' | 'v2';

/** Who writes the status of the node's pods: a kubelet, or the ACI connector (aci-connector-status.ts). */
export type StatusWriter = 'kubelet' | 'aci-connector';

export interface EmulatedNode {
  name: string;
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: string }>;
  statusWriter: StatusWriter;
}

const VIRTUAL_TAINT = { key: 'virtual-kubelet.io/provider', value: 'azure', effect: 'NoSchedule' };

export function clusterNodes(virtualNodes: readonly VirtualNodeKind[], legacyStatusWriter: StatusWriter = 'aci-connector'): EmulatedNode[] {
  const nodes: EmulatedNode[] = [
    {
      name: 'aks-nodepool1-12345678-vmss000000',
      labels: {
        agentpool: 'nodepool1',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/role': 'agent',
        'kubernetes.io/hostname': 'aks-nodepool1-12345678-vmss000000',
      },
      taints: [],
      statusWriter: 'kubelet',
    },
  ];
  if (virtualNodes.includes('legacy')) {
    nodes.push({
      name: 'virtual-node-aci-linux',
      labels: { type: 'virtual-kubelet', 'kubernetes.io/os': 'linux', 'kubernetes.io/role': 'agent', 'kubernetes.io/hostname': 'virtual-node-aci-linux' },
      taints: [VIRTUAL_TAINT],
      statusWriter: legacyStatusWriter,
    });
  }
  if (virtualNodes.includes('v2')) {
    nodes.push({
      name: 'virtualnode-0',
      labels: { virtualization: 'virtualnode2', 'kubernetes.io/os': 'linux', 'kubernetes.io/role': 'agent', 'kubernetes.io/hostname': 'virtualnode-0' },
      taints: [VIRTUAL_TAINT],
      // Modelled as a kubelet: v2's source is not public, and nothing seen so far says otherwise.
      statusWriter: 'kubelet',
    });
  }
  return nodes;
}

/** The first node the pod fits, or why none does (the scheduler's FailedScheduling message). */
export function pickNode(nodes: readonly EmulatedNode[], spec: PodSpec): { node: EmulatedNode } | { reason: string } {
  const selector = spec.nodeSelector ?? {};
  const tolerations = spec.tolerations ?? [];
  let selectorMisses = 0;
  let taintMisses = 0;
  for (const node of nodes) {
    if (!Object.entries(selector).every(([k, v]) => node.labels[k] === v)) selectorMisses += 1;
    else if (!node.taints.every((taint) => tolerations.some((t) => tolerates(t, taint)))) taintMisses += 1;
    else return { node };
  }
  const parts = [
    ...(selectorMisses ? [`${selectorMisses} node(s) didn't match Pod's node affinity/selector`] : []),
    ...(taintMisses ? [`${taintMisses} node(s) had untolerated taint {${VIRTUAL_TAINT.key}: ${VIRTUAL_TAINT.value}}`] : []),
  ];
  return {
    reason: `0/${nodes.length} nodes are available: ${parts.join(', ')}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`,
  };
}

function tolerates(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}
