import { describe, expect, it } from 'vitest';
import { parseDemands } from '../ado/demands';
import type { ProfileConfig } from '../config/schema';
import { matchProfile, unmetDemands } from './profile-match';

const profile = (name: string, capabilities: Record<string, string>, agentVersion = '4.255.0'): ProfileConfig => ({
  name,
  capabilities,
  agentVersion,
  image: 'img',
  standby: [],
  cpu: 1,
  memoryGb: 2,
  maxAgents: 5,
  launcher: { kind: 'aksVirtualNode', apiServer: 'https://aks.example', namespace: 'ado-agents', virtualNode: 'v2' },
});

const docker = profile('docker', { 'Agent.OS': 'Linux', docker: '' });
const dotnet = profile('dotnet', { 'Agent.OS': 'Linux', dotnet: '8.0', docker: '' }, '3.240.1');
const plain = profile('plain', { 'Agent.OS': 'Linux' });
const profiles = [docker, dotnet, plain];
const pick = (...demands: string[]) => matchProfile(profiles, parseDemands(demands))?.name;

describe('matchProfile', () => {
  it('takes the first profile in config order that satisfies every demand', () => {
    expect(pick()).toBe('docker');
    expect(pick('docker')).toBe('docker');
    expect(pick('dotnet')).toBe('dotnet');
    expect(pick('Agent.OS -equals Linux', 'dotnet -equals 8.0')).toBe('dotnet');
  });

  it('compares names and -equals values without regard to case', () => {
    expect(pick('DOCKER', 'agent.os -equals linux')).toBe('docker');
  });

  it("checks -gtVersion against the profile's agent version (at least that version)", () => {
    expect(pick('dotnet', 'Agent.Version -gtVersion 3.240.1')).toBe('dotnet');
    expect(pick('dotnet', 'Agent.Version -gtVersion 3.241.0')).toBeUndefined();
    expect(pick('Agent.Version -gtVersion 4.0.0')).toBe('docker');
  });

  it('matches no profile for a missing capability, a wrong value or an operator it does not know', () => {
    expect(pick('maven')).toBeUndefined();
    expect(pick('Agent.OS -equals Windows_NT')).toBeUndefined();
    expect(pick('Agent.Name -startsWith foo')).toBeUndefined();
  });

  it('names the demands a profile fails', () => {
    expect(unmetDemands(plain, parseDemands(['docker', 'Agent.OS -equals Linux', 'maven']))).toEqual([
      { kind: 'exists', name: 'docker' },
      { kind: 'exists', name: 'maven' },
    ]);
  });
});
