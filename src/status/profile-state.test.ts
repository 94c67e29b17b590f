import { describe, expect, it } from 'vitest';
import type { JobRequest } from '../ado/job-requests';
import type { PoolAgent } from '../ado/pool-agents';
import { parseConfig } from '../config/load-settings';
import type { LaunchedAgent } from '../launchers/launcher';
import type { PoolSnapshot } from './fleet-snapshot';
import { poolState } from './profile-state';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const ORG = 'https://dev.azure.com/contoso';
const aci = { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg', location: 'westeurope' };
const config = parseConfig(
  {
    organizations: [
      {
        url: ORG,
        auth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
        pools: [
          {
            name: 'linux',
            profiles: [
              {
                name: 'docker',
                capabilities: { docker: '' },
                image: 'i',
                maxAgents: 4,
                standby: [{ days: '*', from: '00:00', to: '24:00', agents: 2 }],
                launcher: aci,
              },
              { name: 'plain', image: 'i', maxAgents: 3, launcher: aci },
            ],
          },
        ],
      },
    ],
  },
  [],
)!;
const [org] = config.organizations;
const [pool] = org!.pools;

const request = (requestId: number, state: JobRequest['state'], more: Partial<JobRequest> = {}): JobRequest => ({
  requestId,
  jobId: `job-${requestId}`,
  state,
  demands: [],
  rawDemands: [],
  queueTime: new Date(NOW - 60_000).toISOString(),
  ...more,
});
const agent = (name: string, profile: string, phase: LaunchedAgent['phase'] = 'running', more: Partial<LaunchedAgent> = {}): LaunchedAgent => ({
  name,
  orgUrl: ORG,
  pool: 'linux',
  profile,
  createdAt: new Date(NOW - 120_000),
  phase,
  ...more,
});
const registration = (name: string, more: Partial<PoolAgent> = {}): PoolAgent => ({
  id: 1,
  name,
  online: true,
  enabled: true,
  version: '4.255.0',
  systemCapabilities: {},
  ...more,
});

describe('poolState', () => {
  it("counts per profile as the pass does (ADO's matched placeholder first): busy by ADO, exiting after a job, idle when registered, starting otherwise", () => {
    const snapshot: PoolSnapshot = {
      org: org!,
      pool: pool!,
      requests: [
        request(1, 'waiting', { demands: [{ kind: 'exists', name: 'docker' }] }),
        request(2, 'waiting', { matchedAgents: ['placeholder-plain'] }),
        request(3, 'running', { agentName: 'ado-busy' }),
        request(4, 'finished', { agentName: 'ado-exiting', finishTime: new Date(NOW - 10_000).toISOString() }),
        request(5, 'finished', { agentName: 'ado-long-gone', finishTime: new Date(NOW - 600_000).toISOString() }),
        request(6, 'waiting', { demands: [{ kind: 'equals', name: 'Agent.OS', value: 'Windows' }] }),
      ],
      registrations: [
        registration('ado-idle'),
        registration('ado-just-assigned', { assignedRequestId: 9 }),
        registration('placeholder-docker', { online: false }),
      ],
      profiles: [
        {
          profile: pool!.profiles[0]!,
          agents: [
            agent('ado-busy', 'docker'),
            agent('ado-exiting', 'docker'),
            agent('ado-idle', 'docker'),
            agent('ado-new', 'docker', 'starting'),
            agent('ado-old', 'docker', 'finished'),
          ],
        },
        { profile: pool!.profiles[1]!, agents: [agent('ado-just-assigned', 'plain')] },
      ],
    };
    const state = poolState(snapshot, NOW);
    const [docker, plain] = state.profiles;
    expect(docker).toMatchObject({
      waiting: 1,
      standby: 2,
      agents: { starting: 1, idle: 1, busy: 1, exiting: 1 },
      containers: { starting: 1, running: 3, finished: 1 },
    });
    expect(plain).toMatchObject({ waiting: 1, standby: 0, agents: { starting: 0, idle: 0, busy: 1, exiting: 0 }, placeholder: 'missing' });
    expect(docker?.backoff).toBeUndefined();
    expect(state.unmatched).toBe(1);
  });

  it('without registrations nothing is idle and the placeholder is unknown', () => {
    const state = poolState(
      {
        org: org!,
        pool: pool!,
        requests: [],
        profiles: [
          { profile: pool!.profiles[0]!, agents: [agent('ado-a', 'docker')] },
          { profile: pool!.profiles[1]!, error: 'ARM 500' },
        ],
      },
      NOW,
    );
    expect(state.profiles[0]).toMatchObject({ agents: { starting: 1, idle: 0 } });
    expect(state.profiles[0]).not.toHaveProperty('placeholder');
    expect(state.profiles[1]).toMatchObject({ error: 'ARM 500', agents: { starting: 0, idle: 0, busy: 0, exiting: 0 } });
  });

  it('names the back-off that holds a profile: a crash loop, then its own failed starts, then the pool', () => {
    const crashed = [1, 2, 3].map((i) => agent(`ado-crash-${i}`, 'docker', 'finished', { exitCode: 1, createdAt: new Date(NOW - i * 1000) }));
    const backoffs = {
      pool: { until: NOW + 5_000, reason: 'ADO answered 503' },
      profiles: new Map([['linux/plain', { until: NOW + 60_000, reason: 'waits for Spot capacity' }]]),
    };
    const state = poolState(
      {
        org: org!,
        pool: pool!,
        requests: [],
        registrations: [],
        backoffs,
        profiles: [
          { profile: pool!.profiles[0]!, agents: crashed },
          { profile: pool!.profiles[1]!, agents: [] },
        ],
      },
      NOW,
    );
    expect(state.profiles[0]?.backoff).toMatchObject({ source: 'crash loop', reason: expect.stringContaining('3 agents in a row exited') as unknown });
    expect(state.profiles[1]?.backoff).toEqual({ source: 'start failed', until: NOW + 60_000, reason: 'waits for Spot capacity' });
    const poolOnly = poolState(
      { org: org!, pool: pool!, requests: [], backoffs: { pool: backoffs.pool, profiles: new Map() }, profiles: [{ profile: pool!.profiles[1]!, agents: [] }] },
      NOW,
    );
    expect(poolOnly.profiles[0]?.backoff).toEqual({ source: 'pass failed', until: NOW + 5_000, reason: 'ADO answered 503' });
  });
});
