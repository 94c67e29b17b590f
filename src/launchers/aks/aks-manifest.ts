import { createHash } from 'node:crypto';
import type { V1Job, V1Secret, V1Toleration } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { ProfileConfig } from '../../config/schema';
import { LABELS, MANAGED_BY, type AgentSpec } from '../launcher';
import { customTagsAnnotation, VIRTUAL_NODE_CUSTOM_TAGS } from '../../config/profile-tags';

export type AksSettings = Extract<ProfileConfig['launcher'], { kind: 'aksVirtualNode' }>;

/** The Job's one container; its state is the agent's. */
export const AGENT_CONTAINER = 'agent';
/** The key of the PAT in the agent's Secret. */
export const TOKEN_KEY = 'token';
/** Finished Jobs (and by ownerReference their Secret) go after an hour even if upkeep misses them. */
export const TTL_SECONDS_AFTER_FINISHED = 3600;
/** Exact org URL and pool name: label values cannot hold them (no "/" or ":", at most 63 characters). */
export const ANNOTATIONS = { org: LABELS.org, pool: LABELS.pool } as const;

export function tokenSecretName(agentName: string): string {
  return `${agentName}-token`;
}

// The agent reports its environment as capabilities, so profile capabilities travel as env
// vars. Names a shell cannot export (e.g. "Agent.OS", which the agent reports itself) are left
// out, and so are the AZP_* settings the scaler owns (same rule as the ACI launcher).
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OWN_ENV = new Set(['AZP_URL', 'AZP_POOL', 'AZP_AGENT_NAME', 'AZP_TOKEN']);
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A valid label value standing for `text`: itself when Kubernetes accepts it, otherwise a slug
 * with a hash (an org URL becomes "https-dev-azure-com-fabrikam-1a2b3c4d5e"). Selecting by it
 * narrows a list; the exact value is in the annotation.
 */
export function labelValue(text: string): string {
  if (text.length <= 63 && LABEL_VALUE.test(text)) return text;
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 10);
  return slug ? `${slug}-${hash}` : hash;
}

export function isLabelValue(text: string): boolean {
  return text.length <= 63 && LABEL_VALUE.test(text);
}

/** The pool's label: ADO pool names are case-insensitive, so "Linux" and "linux" select alike. */
export function poolLabel(pool: string): string {
  return labelValue(pool.toLowerCase());
}

/**
 * The ACI launcher's tags as labels (same keys), valid as label values; before them the
 * profile's tags, which the configuration checked to be valid labels (ours win).
 */
export function agentLabels(spec: AgentSpec, now: Date): Record<string, string> {
  return {
    ...spec.profile.tags,
    [MANAGED_BY.key]: MANAGED_BY.value,
    [LABELS.org]: labelValue(spec.orgUrl.toLowerCase()),
    [LABELS.pool]: poolLabel(spec.pool),
    [LABELS.profile]: spec.profile.name,
    ...(spec.standby ? { [LABELS.standby]: 'true' } : {}),
    // ISO 8601 basic format: the extended one has ":", which labels do not allow.
    [LABELS.createdAt]: now
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replace(/[-:]/g, ''),
  };
}

export function agentAnnotations(spec: AgentSpec): Record<string, string> {
  return { [ANNOTATIONS.org]: spec.orgUrl, [ANNOTATIONS.pool]: spec.pool };
}

/**
 * The pod's annotations: the Job's, and on virtual nodes v2 the ARM tags of the container group
 * behind the pod (the profile's tags, then pool and profile as labelled), so Cost Management can
 * group those costs as it does ACI profiles'. The legacy virtual node tags its groups itself and
 * reads no annotation for it.
 */
export function podAnnotations(spec: AgentSpec, virtualNode: AksSettings['virtualNode']): Record<string, string> {
  const annotations = agentAnnotations(spec);
  if (virtualNode !== 'v2') return annotations;
  const tags = { ...spec.profile.tags, [LABELS.pool]: poolLabel(spec.pool), [LABELS.profile]: spec.profile.name };
  return { ...annotations, [VIRTUAL_NODE_CUSTOM_TAGS]: customTagsAnnotation(tags) };
}

/** The PAT's only place: a Secret the Job's pod reads through secretKeyRef. */
export function agentSecret(spec: AgentSpec, labels: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: tokenSecretName(spec.name), labels },
    type: 'Opaque',
    stringData: { [TOKEN_KEY]: spec.pat },
  };
}

/** Where the pod may run: the virtual node's label and taint, per the AKS docs for each kind. */
export function placement(virtualNode: AksSettings['virtualNode']): { nodeSelector: Record<string, string>; tolerations: V1Toleration[] } {
  if (virtualNode === 'legacy') {
    return {
      nodeSelector: { 'kubernetes.io/role': 'agent', 'kubernetes.io/os': 'linux', type: 'virtual-kubelet' },
      tolerations: [
        { key: 'virtual-kubelet.io/provider', operator: 'Exists' },
        { key: 'azure.com/aci', effect: 'NoSchedule' },
      ],
    };
  }
  return {
    nodeSelector: { virtualization: 'virtualnode2', 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
  };
}

/**
 * The agent's Job: one pod, never restarted or retried (backoffLimit 0: whether a failed agent
 * is replaced is the scheduler's call, not Kubernetes'), removed an hour after it finished.
 */
export function agentJob(spec: AgentSpec, virtualNode: AksSettings['virtualNode'], labels: Record<string, string>): V1Job {
  const { profile } = spec;
  const quantities = { cpu: cpuQuantity(profile.cpu), memory: memoryQuantity(profile.memoryGb) };
  const annotations = agentAnnotations(spec);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: spec.name, labels, annotations },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: TTL_SECONDS_AFTER_FINISHED,
      template: {
        metadata: { labels, annotations: podAnnotations(spec, virtualNode) },
        spec: {
          restartPolicy: 'Never',
          // The agent needs no Kubernetes API access, and service env vars would turn into capabilities.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...placement(virtualNode),
          containers: [
            {
              name: AGENT_CONTAINER,
              image: profile.image,
              // Requests equal to limits: what ACI sizes the container group by.
              resources: { requests: quantities, limits: quantities },
              env: [
                { name: 'AZP_URL', value: spec.orgUrl },
                { name: 'AZP_POOL', value: spec.pool },
                { name: 'AZP_AGENT_NAME', value: spec.name },
                { name: 'AZP_TOKEN', valueFrom: { secretKeyRef: { name: tokenSecretName(spec.name), key: TOKEN_KEY } } },
                ...Object.entries(profile.capabilities)
                  .filter(([name]) => ENV_NAME.test(name) && !OWN_ENV.has(name.toUpperCase()))
                  .map(([name, value]) => ({ name, value })),
              ],
            },
          ],
        },
      },
    },
  };
}

function cpuQuantity(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}

function memoryQuantity(gb: number): string {
  return Number.isInteger(gb) ? `${gb}Gi` : `${Math.round(gb * 1024)}Mi`;
}
