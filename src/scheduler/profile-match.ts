import { compareVersions, type Demand } from '../ado/demands';
import type { ProfileConfig } from '../config/schema';

/**
 * Which profile can run a job: the first, in config order, whose capabilities satisfy every
 * demand. Capabilities compare as ADO compares them: names and `-equals` values case-insensitively;
 * `-gtVersion v` holds when the capability is a version at least v. `Agent.Version` is the
 * profile's agentVersion, and `Agent.Name` exists on every agent.
 */
export function matchProfile(profiles: readonly ProfileConfig[], demands: readonly Demand[]): ProfileConfig | undefined {
  return profiles.find((p) => demands.every((d) => satisfies(capabilitiesOf(p), d)));
}

/** The demands a profile fails, for the warning that names them. */
export function unmetDemands(profile: ProfileConfig, demands: readonly Demand[]): Demand[] {
  const capabilities = capabilitiesOf(profile);
  return demands.filter((d) => !satisfies(capabilities, d));
}

function capabilitiesOf(profile: ProfileConfig): Map<string, string> {
  const map = new Map<string, string>([
    ['agent.version', profile.agentVersion],
    ['agent.name', ''],
  ]);
  for (const [name, value] of Object.entries(profile.capabilities)) map.set(name.toLowerCase(), value);
  return map;
}

function satisfies(capabilities: ReadonlyMap<string, string>, demand: Demand): boolean {
  if (demand.kind === 'unsupported') return false;
  const value = capabilities.get(demand.name.toLowerCase());
  if (value === undefined) return false;
  switch (demand.kind) {
    case 'exists':
      return true;
    case 'equals':
      return value.toLowerCase() === demand.value.toLowerCase();
    case 'gtVersion':
      return /^\d+(\.\d+)*$/.test(value) && compareVersions(value, demand.value) >= 0;
  }
}

export function describeDemand(d: Demand): string {
  switch (d.kind) {
    case 'exists':
      return d.name;
    case 'equals':
      return `${d.name} -equals ${d.value}`;
    case 'gtVersion':
      return `${d.name} -gtVersion ${d.value}`;
    case 'unsupported':
      return d.raw;
  }
}
