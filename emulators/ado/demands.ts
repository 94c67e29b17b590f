import type { AgentRecord } from './state';

/**
 * Whether an agent's capabilities (system and user, plus Agent.Name and Agent.Version from its
 * registration) meet a job's demands, as ADO decides `matchedAgents` and assignment:
 * `name` (exists), `name -equals value`, `name -gtVersion value`. Unknown operators match,
 * so a demand form we do not model never hides an agent.
 */
export function agentMeetsDemands(agent: AgentRecord, demands: readonly string[]): boolean {
  const capabilities = new Map<string, string>();
  for (const [k, v] of Object.entries({ ...agent.systemCapabilities, ...agent.userCapabilities })) capabilities.set(k.toLowerCase(), v);
  // Agent.Version is what the agent reports when it registers, whatever its capability list says.
  if (agent.version !== '') capabilities.set('agent.version', agent.version);
  capabilities.set('agent.name', agent.name);
  return demands.every((demand) => meets(capabilities, demand));
}

function meets(capabilities: Map<string, string>, demand: string): boolean {
  const match = /^\s*(\S+)\s+-(\w+)\s+(.+?)\s*$/.exec(demand);
  if (!match) return capabilities.has(demand.trim().toLowerCase());
  const [, name = '', operator = '', expected = ''] = match;
  const actual = capabilities.get(name.toLowerCase());
  if (actual === undefined) return false;
  switch (operator.toLowerCase()) {
    case 'equals':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'gtversion':
      return compareVersions(actual, expected) >= 0;
    default:
      return true;
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
