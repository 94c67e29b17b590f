import { describe, expect, it } from 'vitest';
import { isAgentNameOf, profileAgentName } from './agent-name';

describe('profileAgentName', () => {
  const org = 'https://dev.azure.com/contoso';

  it('names pool, profile and a random suffix, so that every agent of a profile has its own name', () => {
    const names = new Set(Array.from({ length: 200 }, () => profileAgentName(org, 'Linux Pool', 'linux-docker')));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^ado-linux-pool-[0-9a-f]{6}-linux-docker-[a-z0-9]{6}$/);
  });

  it('tells pools apart that slug alike, and equal pool names in different organizations', () => {
    const name = (orgUrl: string, pool: string) => profileAgentName(orgUrl, pool, 'p', 'a00001');
    expect(name(org, 'linux')).toBe(name(org, 'Linux'));
    expect(name(org, 'Linux Pool')).not.toBe(name(org, 'linux-pool'));
    expect(name(org, 'linux')).not.toBe(name('https://dev.azure.com/fabrikam', 'linux'));
  });

  it.each(['linux', 'Linux Pool (GPU) — Ñ', '---', 'a'.repeat(200)])('fits ACI and Kubernetes naming with the longest profile name, for pool %s', (pool) => {
    const name = profileAgentName(org, pool, 'p'.repeat(24));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });
});

describe('isAgentNameOf', () => {
  const org = 'https://dev.azure.com/contoso';

  it('recognises exactly the names the scaler gives in the organization and pool', () => {
    const ours = isAgentNameOf(org, 'Linux Pool');
    const name = profileAgentName(org, 'Linux Pool', 'linux-docker');
    expect(ours(name)).toBe(true);
    expect(ours(profileAgentName(org, 'Linux Pool', 'p'.repeat(24)))).toBe(true);
    expect(ours(profileAgentName(org, 'LINUX POOL', 'linux-docker'))).toBe(true); // pool names are case-insensitive in ADO
    expect(ours(`${name}x`)).toBe(false);
    expect(ours(name.slice(0, -1))).toBe(false);
    expect(ours(name.replace('linux-docker-', ''))).toBe(false); // no profile
    expect(ours(profileAgentName(org, 'linux-pool', 'linux-docker'))).toBe(false); // another pool that slugs alike
    expect(ours(profileAgentName('https://dev.azure.com/fabrikam', 'Linux Pool', 'linux-docker'))).toBe(false);
    expect(ours('placeholder-linux-docker')).toBe(false);
  });
});
