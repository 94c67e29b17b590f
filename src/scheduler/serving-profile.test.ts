import { describe, expect, it } from 'vitest';
import { parseDemands } from '../ado/demands';
import type { ProfileConfig } from '../config/schema';
import { servingProfile } from './serving-profile';

const profile = (name: string, capabilities: Record<string, string>) =>
  ({
    name,
    capabilities,
    agentVersion: '4.255.0',
    image: 'x',
    cpu: 1,
    memoryGb: 2,
    maxAgents: 10,
    launcher: { kind: 'aksVirtualNode' },
  }) as unknown as ProfileConfig;
const profiles = [profile('small', { 'Agent.OS': 'Linux' }), profile('docker', { 'Agent.OS': 'Linux', docker: '' })];

describe('servingProfile', () => {
  it("takes ADO's matchedAgents first: the first profile in config order whose placeholder ADO lists", () => {
    const request = { requestId: 1, demands: parseDemands(['docker']), matchedAgents: ['ado-linux-77', 'Placeholder-Docker', 'placeholder-small'] };
    expect(servingProfile(profiles, request)?.name).toBe('small');
  });

  it('trusts ADO over our matcher, for operators we do not know either', () => {
    const request = { requestId: 1, demands: parseDemands(['Agent.OS -notEquals Windows']), matchedAgents: ['placeholder-docker'] };
    expect(servingProfile(profiles, request)?.name).toBe('docker');
  });

  it('falls back to our matcher where ADO names none of our placeholders (none sent, or not registered yet)', () => {
    expect(servingProfile(profiles, { requestId: 1, demands: parseDemands(['docker']), matchedAgents: ['someone-elses-agent'] })?.name).toBe('docker');
    expect(servingProfile(profiles, { requestId: 1, demands: parseDemands(['Agent.OS -notEquals Windows']), matchedAgents: [] })).toBeUndefined();
    expect(servingProfile(profiles, { requestId: 1, demands: parseDemands(['docker', 'Agent.OS -equals linux']) })?.name).toBe('docker');
    expect(servingProfile(profiles, { requestId: 1, demands: parseDemands(['dotnet']) })).toBeUndefined();
  });
});
