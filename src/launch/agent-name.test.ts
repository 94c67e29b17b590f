import { describe, expect, it } from 'vitest';
import { agentName } from './agent-name';

describe('agentName', () => {
  const org = 'https://dev.azure.com/contoso';

  it('is the same for the same job request, and different otherwise', () => {
    expect(agentName(org, 'linux', 42)).toBe(agentName(org, 'Linux', 42));
    expect(agentName(org, 'linux', 42)).not.toBe(agentName(org, 'linux', 43));
    expect(agentName(org, 'linux', 42)).not.toBe(agentName('https://dev.azure.com/fabrikam', 'linux', 42));
    expect(agentName(org, 'Linux Pool', 42)).not.toBe(agentName(org, 'linux-pool', 42));
  });

  it.each(['linux', 'Linux Pool (GPU) — Ñ', '---', 'a'.repeat(200)])('fits ACI and Kubernetes naming for pool %s', (pool) => {
    const name = agentName(org, pool, 2_147_483_647);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });
});
