import { describe, expect, it } from 'vitest';
import type { JobView, RequestLogEntry } from '../../emulators/ado/ado-emulator';
import type { InspectedMessage } from '../../emulators/service-bus/service-bus-emulator';
import { seededRandom } from '../../emulators/core/latency';
import { busyStops } from './busy-stops';
import { chaosPlan, HOOK_RETRY_DELAYS_MS } from './chaos-plan';
import { classifyDeadLetters } from './dead-letters';
import { secretMatcher } from './secret-forms';
import { planJobs } from './workload';

const PAT = 'chaos-pool-pat-a-0123456789abcdef01234567';

describe('secret search', () => {
  const match = secretMatcher([
    { label: 'the PAT', value: PAT },
    { label: 'the password', value: 'chaos-hook-password-aa' },
  ]);

  it('finds a secret as is, URL-encoded, and inside base64 at any alignment (a Basic header)', () => {
    expect(match(`token=${PAT}`)).toEqual(['the PAT']);
    for (const user of ['', 'a', 'ab', 'chaos-hook']) {
      expect(match(`Authorization: Basic ${Buffer.from(`${user}:${PAT}`).toString('base64')}`)).toEqual(['the PAT']);
    }
    expect(match(JSON.stringify({ data: { token: Buffer.from(PAT).toString('base64') } }))).toEqual(['the PAT']);
  });

  it('finds nothing in text without the secret, or with a piece too short to tell', () => {
    expect(match('chaos-pool-pat-a-0123 and Basic OmNoYW9z')).toEqual([]);
  });
});

describe('dead-letter causes', () => {
  const message = (body: unknown): InspectedMessage => ({
    body,
    messageId: 'm',
    applicationProperties: {},
    deliveryCount: 5,
    sequenceNumber: 1,
    enqueuedTimeUtc: new Date(),
    deadLetterReason: 'MaxDeliveryCountExceeded',
    deadLetterErrorDescription: 'Message could not be consumed after 5 delivery attempts.',
  });

  it('tells a signal a pass could have served (transient) from a body no pass can read (bad message)', () => {
    const signal = { version: 2, orgUrl: 'https://dev.azure.com/chaos', pool: 'linux', reason: 'event', observedAt: new Date().toISOString() };
    const causes = classifyDeadLetters([message(signal), message('not a signal'), message({ version: 2, pool: 42 })]);
    expect(causes.map((c) => c.cause)).toEqual(['transient', 'bad message', 'bad message']);
    expect(causes[0]).toMatchObject({ reason: 'MaxDeliveryCountExceeded', description: expect.stringContaining('5 delivery attempts') as unknown });
    expect(causes[1]!.detail).toMatch(/not JSON|invalid/);
  });
});

describe('busy agents stopped', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const job = (requestId: number, agentName: string, assigned: number, finished?: number, result?: JobView['result']): JobView => ({
    requestId,
    jobId: `j${requestId}`,
    org: 'chaos',
    pool: 'linux',
    poolId: 10,
    project: 'p',
    state: finished === undefined ? 'running' : 'finished',
    agentName,
    demands: [],
    queueTime: at(0),
    assignTime: at(assigned),
    ...(finished !== undefined ? { finishTime: at(finished), result: result ?? 'succeeded' } : {}),
  });
  const del = (agentId: number, s: number, userAgent = 'azure-devops-node-api/17.0 (scaler)'): RequestLogEntry => ({
    method: 'DELETE',
    path: `/chaos/_apis/distributedtask/pools/10/agents/${agentId}`,
    query: {},
    status: 204,
    time: at(s),
    body: '',
    headers: {},
    userAgent,
  });

  it('counts a registration the scaler deleted while its job ran, and abandoned jobs; not the agent deleting itself or a deletion after the job', () => {
    const names = new Map([
      [1, 'agent-1'],
      [2, 'agent-2'],
      [3, 'agent-3'],
    ]);
    const jobs = [job(1000, 'agent-1', 10, 20), job(1001, 'agent-2', 10), job(1002, 'agent-3', 10, 15, 'abandoned')];
    const requests = [del(1, 21), del(2, 12), del(1, 19, 'VstsAgentCore-linux-x64/4.255.0 (simulated)'), del(9, 30)];
    expect(busyStops(jobs, requests, names)).toEqual({
      abandonedJobs: [1002],
      busyRegistrationsDeleted: ['agent-2 (job request 1001)'],
      registrationsDeleted: 3,
      unknownDeleted: 1,
    });
  });
});

describe('the plan', () => {
  it('queues the jobs in order, cancels the planned share, the same for a seed', () => {
    const plan = chaosPlan(500);
    const jobs = planJobs(plan, seededRandom(3));
    expect(jobs).toHaveLength(500);
    expect(jobs.filter((j) => j.cancelAfterMs !== undefined)).toHaveLength(50);
    expect(jobs.every((j, i) => i === 0 || j.at >= jobs[i - 1]!.at)).toBe(true);
    expect(Math.max(...jobs.map((j) => j.at))).toBeLessThanOrEqual(plan.arrivalSeconds);
    expect(planJobs(plan, seededRandom(3))).toEqual(jobs);
  });

  it("restarts the host inside the Key Vault outage, and outlasts ADO's hook retries with the Service Bus outage", () => {
    const plan = chaosPlan(500);
    const kv = plan.keyVaultOutage;
    expect(plan.hostKill.restartAt).toBeGreaterThan(kv.from);
    expect(plan.hostKill.restartAt).toBeLessThan(kv.from + kv.seconds);
    expect(kv.seconds).toBe(30);
    expect(plan.serviceBusOutage.seconds * 1000).toBeGreaterThan(HOOK_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0));
    expect(plan.patRotation.at).toBeGreaterThan(plan.serviceBusOutage.from + plan.serviceBusOutage.seconds);
  });

  it("never overlaps two ARM windows (the end of one clears the ARM emulator's faults)", () => {
    const windows = [...chaosPlan(500).armThrottles, ...chaosPlan(500).armErrors].sort((a, b) => a.from - b.from);
    windows.slice(1).forEach((w, i) => expect(w.from).toBeGreaterThan(windows[i]!.from + windows[i]!.seconds));
  });
});
