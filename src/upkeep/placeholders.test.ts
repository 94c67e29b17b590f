import { describe, expect, it } from 'vitest';
import type { PoolAgent } from '../ado/pool-agents';
import { profileAgentName } from '../launchers/agent-name';
import { placeholderName } from '../scheduler/serving-profile';
import { isPlaceholderName, placeholderRegistration, placeholderState } from './placeholders';

const profile = { name: 'linux-docker', capabilities: { 'Agent.OS': 'Linux', docker: '' }, agentVersion: '4.255.0' };
const agent = (extra: Partial<PoolAgent>): PoolAgent => ({
  id: 1,
  name: 'placeholder-linux-docker',
  online: false,
  enabled: true,
  version: '4.255.0',
  systemCapabilities: {},
  ...extra,
});

describe('placeholders', () => {
  it("are named after the profile, apart from started agents, within ADO's 64 characters", () => {
    expect(placeholderName('linux-docker')).toBe('placeholder-linux-docker');
    expect(placeholderName('a'.repeat(24)).length).toBeLessThanOrEqual(64);
    expect(isPlaceholderName('placeholder-linux-docker')).toBe(true);
    expect(isPlaceholderName(profileAgentName('https://dev.azure.com/contoso', 'linux', 'linux-docker'))).toBe(false);
    expect(isPlaceholderName('placeholder-Has Spaces')).toBe(false);
  });

  it("register the profile's capabilities and version, Agent.Version included", () => {
    expect(placeholderRegistration(profile)).toEqual({
      name: 'placeholder-linux-docker',
      version: '4.255.0',
      systemCapabilities: { 'Agent.OS': 'Linux', docker: '', 'Agent.Version': '4.255.0' },
    });
  });

  it('are missing, registered or outdated', () => {
    const current = placeholderRegistration(profile).systemCapabilities;
    expect(placeholderState(profile, [])).toBe('missing');
    expect(placeholderState(profile, [agent({ systemCapabilities: current })])).toBe('registered');
    expect(placeholderState(profile, [agent({ systemCapabilities: { ...current, maven: '' } })])).toBe('outdated');
    expect(placeholderState(profile, [agent({ systemCapabilities: current, version: '4.250.0' })])).toBe('outdated');
  });
});
