import type { ContainerGroup, EnvironmentVariable } from '@azure/arm-containerinstance';
import type { ProfileConfig } from '../../config/schema';
import { ScalerError } from '../../errors/scaler-error';
import { LABELS, MANAGED_BY, type AgentSpec } from '../launcher';

export type AciSettings = Extract<ProfileConfig['launcher'], { kind: 'aci' }>;

/** The one container of an agent group; its state is the agent's. */
export const AGENT_CONTAINER = 'agent';

// The agent reports its environment as capabilities, so profile capabilities travel as env
// vars. Names a shell cannot export (e.g. "Agent.OS", which the agent reports itself) are left
// out, and so are the AZP_* settings the scaler owns.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OWN_ENV = new Set(['AZP_URL', 'AZP_POOL', 'AZP_AGENT_NAME', 'AZP_TOKEN']);

/**
 * The container group for one agent: Linux, restartPolicy Never (one job, then the container
 * exits), the PAT only as a secureValue, and tags that identify the agent without secrets.
 */
export function agentContainerGroup(spec: AgentSpec, settings: AciSettings, priority: 'Spot' | 'Regular', now: Date): ContainerGroup {
  const { profile } = spec;
  const environmentVariables: EnvironmentVariable[] = [
    { name: 'AZP_URL', value: spec.orgUrl },
    { name: 'AZP_POOL', value: spec.pool },
    { name: 'AZP_AGENT_NAME', value: spec.name },
    { name: 'AZP_TOKEN', secureValue: spec.pat },
    ...Object.entries(profile.capabilities)
      .filter(([name]) => ENV_NAME.test(name) && !OWN_ENV.has(name.toUpperCase()))
      .map(([name, value]) => ({ name, value })),
  ];
  const identities = [settings.identityId, settings.registry?.identityId].filter((id): id is string => id !== undefined);
  return {
    location: settings.location,
    tags: agentTags(spec, now),
    osType: 'Linux',
    restartPolicy: 'Never',
    sku: 'Standard',
    ...(settings.spot ? { priority } : {}),
    containers: [
      {
        name: AGENT_CONTAINER,
        image: profile.image,
        resources: { requests: { cpu: profile.cpu, memoryInGB: profile.memoryGb } },
        environmentVariables,
      },
    ],
    ...(identities.length > 0 ? { identity: { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(identities.map((id) => [id, {}])) } } : {}),
    ...(settings.registry ? { imageRegistryCredentials: [registryCredential(settings, profile.name)] } : {}),
    ...(settings.subnetId ? { subnetIds: [{ id: settings.subnetId }] } : {}),
  };
}

/**
 * The profile's tags (team, cost center: what Cost Management groups by; checked at load time
 * against Azure's limits and our own names), then ours, which win.
 */
export function agentTags(spec: AgentSpec, now: Date): Record<string, string> {
  return {
    ...spec.profile.tags,
    [MANAGED_BY.key]: MANAGED_BY.value,
    [LABELS.org]: spec.orgUrl,
    [LABELS.pool]: spec.pool,
    [LABELS.profile]: spec.profile.name,
    ...(spec.standby ? { [LABELS.standby]: 'true' } : {}),
    [LABELS.createdAt]: now.toISOString(),
  };
}

function registryCredential(settings: AciSettings, profile: string): { server: string; identity: string } {
  const registry = settings.registry!;
  const identity = registry.identityId ?? settings.identityId;
  if (!identity) {
    throw new ScalerError(
      'permanent',
      `Profile "${profile}": launcher.registry (${registry.server}) needs an identity to pull with; set launcher.registry.identityId or launcher.identityId to a user-assigned identity that has AcrPull on the registry.`,
    );
  }
  return { server: registry.server, identity };
}
