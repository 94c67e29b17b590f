import type { AgentRegistration, PoolAgent } from '../ado/pool-agents';
import type { ProfileConfig } from '../config/schema';
import { placeholderName } from '../scheduler/serving-profile';
import { attempt, type PoolContext } from './upkeep-context';

// Profile names are 1-24 of [a-z0-9-] (config schema), so this matches exactly the names we
// give placeholders, and never a started agent's ("ado-...").
const PLACEHOLDER_NAME = /^placeholder-[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$/i;

/** What a placeholder is made from. */
type PlaceholderProfile = Pick<ProfileConfig, 'name' | 'capabilities' | 'agentVersion'>;

export function isPlaceholderName(name: string): boolean {
  return PLACEHOLDER_NAME.test(name);
}

/**
 * The profile's capabilities and agent version, as an agent of the profile reports them.
 * `Agent.Version` is a capability too: jobs with tasks that need a minimum agent version demand
 * it, and a placeholder without it would not count for them.
 */
export function placeholderRegistration(profile: PlaceholderProfile): AgentRegistration {
  return {
    name: placeholderName(profile.name),
    version: profile.agentVersion,
    systemCapabilities: { ...profile.capabilities, 'Agent.Version': profile.agentVersion },
  };
}

export type PlaceholderState = 'registered' | 'missing' | 'outdated';

export function placeholderState(profile: PlaceholderProfile, agents: readonly PoolAgent[]): PlaceholderState {
  const wanted = placeholderRegistration(profile);
  const found = agents.find((a) => a.name.toLowerCase() === wanted.name.toLowerCase());
  if (!found) return 'missing';
  return found.version === wanted.version && sameCapabilities(found.systemCapabilities, wanted.systemCapabilities) ? 'registered' : 'outdated';
}

/**
 * One offline placeholder agent per profile of the pool, registered through the REST API with no
 * container behind it: ADO fails a job at once when no agent of the pool, online or not, could
 * run it; with the placeholder the job waits, and the scaler starts its agent. Missing ones are
 * created (again), outdated ones updated, and those of profiles no longer in the config removed.
 * `agents` is the pool's current listing.
 */
export async function keepPlaceholders(ctx: PoolContext, agents: readonly PoolAgent[]): Promise<void> {
  const { deps, ado, poolId, pool, where } = ctx;
  for (const profile of pool.profiles) {
    const wanted = placeholderRegistration(profile);
    const found = agents.find((a) => a.name.toLowerCase() === wanted.name.toLowerCase());
    const state = placeholderState(profile, agents);
    if (state === 'registered') continue;
    await attempt(deps, `${state === 'missing' ? 'registering' : 'updating'} placeholder agent ${wanted.name} in ${where}`, async () => {
      if (found) {
        await ado.replaceAgent(poolId, found.id, wanted);
        deps.counters.increment('placeholdersUpdated');
        deps.log.info(
          `upkeep: updated placeholder agent ${wanted.name} in ${where} to version ${wanted.version}, capabilities ${describe(wanted.systemCapabilities)}`,
        );
        return;
      }
      // 409: another run (or instance) registered it since the listing; names are unique per pool.
      if ((await ado.addAgent(poolId, wanted)) === 'exists') return;
      deps.counters.increment('placeholdersCreated');
      deps.log.info(`upkeep: registered placeholder agent ${wanted.name} (offline) in ${where} with capabilities ${describe(wanted.systemCapabilities)}`);
    });
  }
  const wantedNames = new Set(pool.profiles.map((p) => placeholderName(p.name).toLowerCase()));
  for (const agent of agents) {
    // Ours by name only, and never one that is online or has a job: that is a real agent.
    if (!isPlaceholderName(agent.name) || wantedNames.has(agent.name.toLowerCase()) || agent.online || agent.assignedRequestId !== undefined) continue;
    await attempt(deps, `removing placeholder agent ${agent.name} from ${where}`, async () => {
      await ado.deleteAgent(poolId, agent.id);
      deps.counters.increment('placeholdersRemoved');
      deps.log.info(`upkeep: removed placeholder agent ${agent.name} from ${where}: no profile of that name is configured for the pool any more`);
    });
  }
}

function sameCapabilities(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

function describe(capabilities: Readonly<Record<string, string>>): string {
  return Object.entries(capabilities)
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .join(', ');
}
