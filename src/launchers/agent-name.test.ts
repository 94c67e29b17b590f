import { describe, expect, it } from 'vitest';
import { agentName, isAgentNameOf, profileAgentName } from './agent-name';

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

describe('profileAgentName', () => {
  const org = 'https://dev.azure.com/contoso';

  it('names pool, profile and a random suffix, so that every agent of a profile has its own name', () => {
    const names = new Set(Array.from({ length: 200 }, () => profileAgentName(org, 'Linux Pool', 'linux-docker')));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^ado-linux-pool-[0-9a-f]{6}-linux-docker-[a-z0-9]{6}$/);
  });

  it.each(['linux', 'Linux Pool (GPU) — Ñ', 'a'.repeat(200)])('fits ACI and Kubernetes naming with the longest profile name, for pool %s', (pool) => {
    const name = profileAgentName(org, pool, 'p'.repeat(24));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });
});

describe('isAgentNameOf', () => {
  const org = 'https://dev.azure.com/contoso';

  it('recognises exactly the names the scaler gives in the organization and pool, both forms', () => {
    const ours = isAgentNameOf(org, 'Linux Pool');
    expect(ours(agentName(org, 'Linux Pool', 1042))).toBe(true);
    expect(ours(profileAgentName(org, 'Linux Pool', 'linux-docker'))).toBe(true);
    expect(ours(`${agentName(org, 'Linux Pool', 1042)}x`)).toBe(false);
    expect(ours(agentName(org, 'LINUX POOL', 1042))).toBe(true); // pool names are case-insensitive in ADO
    expect(ours(agentName(org, 'linux-pool', 1042))).toBe(false); // another pool that slugs alike
    expect(ours(profileAgentName(org, 'linux-pool', 'linux-docker'))).toBe(false);
    expect(ours(profileAgentName('https://dev.azure.com/fabrikam', 'Linux Pool', 'linux-docker'))).toBe(false);
    expect(ours('placeholder-linux-docker')).toBe(false);
  });
});
