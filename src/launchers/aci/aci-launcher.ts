import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import type { TokenCredential } from '@azure/identity';
import { ScalerError } from '../../errors/scaler-error';
import { systemClock, type Clock } from '../../time/clock';
import { agentOfGroup, phaseFromList, phaseOfGroup, type GroupPhase } from './aci-agent-state';
import { createAgentGroup, deleteAndWait, spotShortage, type ContainerGroupOperations } from './aci-create';
import { aciError, failedForCapacity, isNotFound, type AciScope } from './aci-errors';
import type { AciSettings } from './aci-group-spec';
import { LABELS, type AgentSpec, type LaunchedAgent, type Launcher, type StartResult } from '../launcher';

export type { ContainerGroupOperations } from './aci-create';

export interface AciLauncherOptions {
  readonly credential: TokenCredential;
  /** The profile's launcher section; one launcher per (subscription, resource group). */
  readonly settings: AciSettings;
  /** ARM endpoint; https://management.azure.com by default. Tokens are asked for `${endpoint}/.default`. */
  readonly endpoint?: string | undefined;
  readonly clientFactory?: (credential: TokenCredential, subscriptionId: string, endpoint: string) => ContainerGroupOperations;
  /** Stamps each group's created-at tag, and decides how long Spot is taken to be short. */
  readonly now?: Clock;
}

/** Groups looked up at once when a list needs each one's instanceView. */
const DETAIL_CONCURRENCY = 4;

/**
 * Agents as Azure Container Instances container groups. Calls per operation: start = GET, then
 * PUT plus the SDK's first poll of the create operation (one more PUT and poll on a Spot
 * fallback, and a DELETE first when ACI failed the Spot create after accepting it); status =
 * one GET; delete = one DELETE; list = one call per page of 20 (ARM's paging) plus one GET per
 * provisioned group whose end is not yet known (finished groups are remembered, restartPolicy
 * Never makes that final) and that the caller does not know running, and one per Spot group
 * whose create failed (to read why).
 */
export function createAciLauncher(options: AciLauncherOptions): Launcher {
  const { settings } = options;
  const endpoint = (options.endpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
  const scope: AciScope = { subscriptionId: settings.subscriptionId, resourceGroup: settings.resourceGroup, location: settings.location };
  const rg = settings.resourceGroup;
  const now = options.now ?? systemClock;
  let client: ContainerGroupOperations | undefined;
  const groups = () => (client ??= (options.clientFactory ?? defaultClient)(options.credential, settings.subscriptionId, endpoint));
  /** name|created-at → how it ended; a group recreated under the same name has a new created-at. */
  const finished = new Map<string, GroupPhase>();
  const shortage = spotShortage(now);
  /** A Spot group ACI failed for capacity tells the next starts that Spot is short. */
  const noteSpotFailure = (group: ContainerGroup) => {
    if (group.priority !== 'Spot' || group.provisioningState?.toLowerCase() !== 'failed' || !failedForCapacity(group.instanceView?.events)) return;
    const at = group.instanceView?.events?.map((ev) => ev.lastTimestamp?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
    shortage.note(at || Date.parse(group.tags?.[LABELS.createdAt] ?? '') || undefined);
  };

  const getGroup = async (name: string): Promise<ContainerGroup | undefined> => {
    try {
      return await groups().get(rg, name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };

  const phaseOf = async (group: ContainerGroup): Promise<GroupPhase | undefined> => {
    const key = `${group.name}|${group.tags?.[LABELS.createdAt]}`;
    const failedSpot = group.priority === 'Spot' && group.provisioningState?.toLowerCase() === 'failed';
    const known = finished.get(key) ?? (failedSpot ? undefined : phaseFromList(group));
    if (known) return known;
    const full = await getGroup(group.name ?? '');
    if (!full) return undefined; // deleted since the list
    noteSpotFailure(full);
    const phase = phaseOfGroup(full);
    if (phase.phase === 'finished') finished.set(key, phase);
    return phase;
  };

  return {
    async start(spec: AgentSpec): Promise<StartResult> {
      const what = `Starting agent ${spec.name} (pool "${spec.pool}", profile "${spec.profile.name}") on ACI`;
      try {
        const existing = await getGroup(spec.name);
        if (existing) {
          if (!agentOfGroup(existing, 'starting')) {
            throw new ScalerError(
              'permanent',
              `${what}: a container group named ${spec.name} exists in resource group "${rg}" that the scaler did not start; delete it or move it elsewhere.`,
            );
          }
          if (existing.provisioningState?.toLowerCase() !== 'failed') return { name: spec.name, outcome: 'exists' };
          // A create of this name that ACI failed after the first poll: no agent runs in it, and
          // a failed group "can't be updated ... must be deployed as new" (Microsoft's "Update
          // containers in Azure Container Instances"): delete it and create the agent afresh.
          noteSpotFailure(existing);
          await deleteAndWait(groups(), rg, spec.name);
        }
        // Begin the create and return once ARM accepted it: ACI takes about a minute to run the
        // container, and the consumer must not be held that long.
        await createAgentGroup(groups(), rg, spec, settings, shortage, new Date(now()));
        return { name: spec.name, outcome: 'created' };
      } catch (e) {
        throw aciError(e, scope, what, { profile: spec.profile.name, secrets: [spec.pat], now });
      }
    },

    async list(filter = {}): Promise<LaunchedAgent[]> {
      try {
        const all: ContainerGroup[] = [];
        for await (const group of groups().listByResourceGroup(rg)) all.push(group);
        const live = new Set(all.map((g) => `${g.name}|${g.tags?.[LABELS.createdAt]}`));
        for (const key of finished.keys()) if (!live.has(key)) finished.delete(key);
        const ours = all.filter((g) => {
          const agent = agentOfGroup(g, 'starting');
          return agent && (filter.pool === undefined || agent.pool === filter.pool) && (filter.profile === undefined || agent.profile === filter.profile);
        });
        const phases = await mapLimit(ours, DETAIL_CONCURRENCY, (g) =>
          filter.running?.has(g.name?.toLowerCase() ?? '') && !finished.has(`${g.name}|${g.tags?.[LABELS.createdAt]}`) ? Promise.resolve(RUNNING) : phaseOf(g),
        );
        return ours.flatMap((g, i) => {
          const p = phases[i];
          const agent = p && agentOfGroup(g, p.phase, p.exitCode);
          return agent ? [agent] : [];
        });
      } catch (e) {
        throw aciError(e, scope, `Listing agent container groups in resource group "${rg}"`, { now });
      }
    },

    async status(name: string): Promise<LaunchedAgent | undefined> {
      try {
        const group = await getGroup(name);
        if (!group) return undefined;
        const { phase, exitCode } = phaseOfGroup(group);
        return agentOfGroup(group, phase, exitCode);
      } catch (e) {
        throw aciError(e, scope, `Reading container group ${name}`, { now });
      }
    },

    async delete(name: string): Promise<void> {
      try {
        // Begun, not awaited to the end: the group is gone for ARM once the DELETE is accepted.
        await groups().beginDelete(rg, name);
      } catch (e) {
        if (!isNotFound(e)) throw aciError(e, scope, `Deleting container group ${name}`, { now });
      }
    },
  };
}

const RUNNING: GroupPhase = { phase: 'running' };

function defaultClient(credential: TokenCredential, subscriptionId: string, endpoint: string): ContainerGroupOperations {
  return new ContainerInstanceManagementClient(credential, subscriptionId, {
    endpoint,
    // No SDK retries: its throttling retry sleeps for Retry-After inside the consumer. The queue
    // retries instead, after the delay the ScalerError carries (docs/design.md, invariant 5).
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: 'ado-agent-scaler' },
  }).containerGroups;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
