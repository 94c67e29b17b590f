import { describe, expect, it } from 'vitest';
import type { JobRequest } from '../ado/job-requests';
import type { PoolConfig } from '../config/schema';
import { ScalerError } from '../errors/scaler-error';
import { profileAgentName } from '../launchers/agent-name';
import { errorFields, failedPassRecord, formatRecord, hookRecords, HOOK_EVENT, JOB_WAIT_EVENT, PASS_EVENT, recordPrefix } from '../log/telemetry-record';
import { jobWaitRecords, passRecord, profileOfAgent } from './pass-records';
import type { PassResult } from './pool-pass';

const ORG = 'https://dev.azure.com/contoso';
const NOW = Date.parse('2026-12-01T10:00:00Z');
const pool = { name: 'Linux', profiles: [{ name: 'linux' }, { name: 'linux-docker' }] } as unknown as PoolConfig;
const agent = (profile: string, suffix = 'k2x9qa') => profileAgentName(ORG, pool.name, profile, suffix);
const at = (secondsBefore: number) => new Date(NOW - secondsBefore * 1000).toISOString();

function request(requestId: number, state: JobRequest['state'], extra: Partial<JobRequest> = {}): JobRequest {
  return { requestId, jobId: `job-${requestId}`, state, demands: [], rawDemands: [], ...extra };
}

const decision = (profile: string, figures: Partial<PassResult['plan']['profiles'][number]> = {}) => ({
  profile,
  waiting: 0,
  standby: 0,
  starting: 0,
  idle: 0,
  busy: 0,
  start: 0,
  stop: [],
  ...figures,
});

function result(overrides: Partial<PassResult> = {}): PassResult {
  return {
    plan: { profiles: [decision('linux'), decision('linux-docker')] },
    started: [],
    stopped: [],
    crashLoops: {},
    unmatched: [],
    startFailures: [],
    startedProfiles: [],
    requests: [],
    listedAt: NOW,
    ...overrides,
  };
}

describe('telemetry records', () => {
  it('are one JSON line each, the event first, so that KQL finds them by prefix and parse_json reads them', () => {
    const line = formatRecord(failedPassRecord(ORG, 'linux', 'timer', new Error('boom')));
    expect(line.startsWith(recordPrefix(PASS_EVENT))).toBe(true);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toMatchObject({ event: PASS_EVENT, v: 1, org: ORG, pool: 'linux', trigger: 'timer', outcome: 'failed', errorKind: 'transient' });
    expect(recordPrefix(JOB_WAIT_EVENT)).toBe('{"event":"scaler.jobWait",');
  });

  it("tell which profile an agent name belongs to, and none for anyone else's agent or a placeholder", () => {
    expect(profileOfAgent(ORG, pool, agent('linux'))).toBe('linux');
    // "linux" is a prefix of "linux-docker": the 6-character suffix tells them apart.
    expect(profileOfAgent(ORG, pool, agent('linux-docker'))).toBe('linux-docker');
    expect(profileOfAgent(ORG, pool, agent('linux').toUpperCase())).toBe('linux');
    expect(profileOfAgent(ORG, pool, 'placeholder-linux')).toBeUndefined();
    expect(profileOfAgent(ORG, pool, profileAgentName('https://dev.azure.com/other', pool.name, 'linux'))).toBeUndefined();
    expect(profileOfAgent(ORG, pool, undefined)).toBeUndefined();
  });
});

describe('passRecord', () => {
  it('carries per profile what the pass counted, planned and did, and the oldest waiting job', () => {
    const record = passRecord({
      orgUrl: ORG,
      pool,
      trigger: 'event',
      now: NOW,
      result: result({
        plan: {
          profiles: [
            decision('linux', { waiting: 3, starting: 1, idle: 0, busy: 2, start: 2, heldBack: 'maxAgents' }),
            decision('linux-docker', { idle: 2, stop: [agent('linux-docker')] }),
          ],
        },
        nextPassAt: NOW + 10_000,
        started: [agent('linux', 'aaaaaa'), agent('linux', 'bbbbbb')],
        stopped: [agent('linux-docker')],
        requests: [
          request(1, 'waiting', { queueTime: at(754.33) }),
          request(2, 'waiting', { queueTime: at(5) }),
          request(3, 'waiting', { queueTime: at(1) }),
          request(4, 'running', { queueTime: at(3600) }),
        ],
        unmatched: [request(3, 'waiting')],
      }),
    });
    expect(record).toEqual({
      event: PASS_EVENT,
      v: 1,
      org: ORG,
      pool: 'Linux',
      trigger: 'event',
      outcome: 'ok',
      waitingJobs: 3,
      oldestWaitSeconds: 754.3,
      unmatchedJobs: 1,
      profiles: [
        { profile: 'linux', waiting: 3, standby: 0, starting: 1, idle: 0, busy: 2, start: 2, started: 2, stopped: 0, heldBack: 'maxAgents' },
        { profile: 'linux-docker', waiting: 0, standby: 0, starting: 0, idle: 2, busy: 0, start: 0, started: 0, stopped: 1 },
      ],
      nextPassAt: '2026-12-01T10:00:10.000Z',
    });
  });

  it("says which profile backs off, why and until when, and the failed start's error code", () => {
    const quota = new ScalerError('throttled', "quota 'StandardCores' is used up", { status: 400, code: 'AciQuotaExceeded', retryAfterMs: 60_000 });
    const record = passRecord({
      orgUrl: ORG,
      pool,
      trigger: 'scheduled',
      now: NOW,
      startBackoffs: new Map([
        ['linux/linux-docker', NOW + 60_000],
        ['linux/linux', NOW - 1],
      ]),
      result: result({
        plan: { profiles: [decision('linux', { waiting: 1, heldBack: 'backoff' }), decision('linux-docker', { waiting: 2, start: 2 })] },
        crashLoops: { linux: { failures: 3, backedOffUntil: NOW + 120_000, reason: '3 agents in a row exited (code 1) without taking a job' } },
        startFailures: [{ profile: 'linux/linux-docker', message: quota.message, retryAfterMs: 60_000, error: errorFields(quota) }],
      }),
    });
    expect(record?.profiles).toEqual([
      expect.objectContaining({
        profile: 'linux',
        heldBack: 'backoff',
        backoff: 'crashLoop',
        backoffUntil: '2026-12-01T10:02:00.000Z',
        backoffReason: '3 agents in a row exited (code 1) without taking a job',
      }),
      expect.objectContaining({
        profile: 'linux-docker',
        started: 0,
        backoff: 'startFailed',
        backoffUntil: '2026-12-01T10:01:00.000Z',
        backoffReason: "quota 'StandardCores' is used up",
        errorKind: 'throttled',
        errorStatus: 400,
        errorCode: 'AciQuotaExceeded',
      }),
    ]);
  });

  it('is absent for a quiet pass, as its log line is, and present for one that only backs off', () => {
    expect(
      passRecord({
        orgUrl: ORG,
        pool,
        trigger: 'timer',
        now: NOW,
        result: result({ requests: [request(9, 'finished', { queueTime: at(100), assignTime: at(90) })] }),
      }),
    ).toBeUndefined();
    const crashLoops = { linux: { failures: 3, backedOffUntil: NOW + 1_000, reason: 'r' } };
    expect(passRecord({ orgUrl: ORG, pool, trigger: 'timer', now: NOW, result: result({ crashLoops }) })?.profiles[0]).toMatchObject({ backoff: 'crashLoop' });
  });

  it('marks a pass that lost its lease before acting', () => {
    const record = passRecord({
      orgUrl: ORG,
      pool,
      trigger: 'event',
      now: NOW,
      result: result({ abandoned: true, requests: [request(1, 'waiting', { queueTime: at(2) })] }),
    });
    expect(record).toMatchObject({ outcome: 'abandoned', waitingJobs: 1, oldestWaitSeconds: 2 });
  });
});

describe('errorFields', () => {
  it('reads the ScalerError kind, HTTP status and code, or what an SDK error carries', () => {
    expect(errorFields(new ScalerError('permanent', 'no', { status: 403, code: 'AuthorizationFailed' }))).toEqual({
      errorKind: 'permanent',
      errorStatus: 403,
      errorCode: 'AuthorizationFailed',
    });
    expect(errorFields(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toEqual({ errorKind: 'transient', errorCode: 'ECONNRESET' });
    expect(errorFields(Object.assign(new Error('x'), { statusCode: 503 }))).toEqual({ errorKind: 'transient', errorStatus: 503 });
    expect(errorFields('a string')).toEqual({ errorKind: 'transient' });
  });
});

describe('jobWaitRecords', () => {
  const listing = [
    request(1, 'finished', { queueTime: at(300), assignTime: at(240), agentName: agent('linux') }),
    request(2, 'running', { queueTime: at(100), assignTime: at(40), agentName: agent('linux-docker', 'zzzzzz') }),
    request(3, 'running', { queueTime: at(30), assignTime: at(29.95), agentName: 'someone-elses-agent' }),
    request(4, 'waiting', { queueTime: at(20) }),
    request(5, 'finished', { queueTime: at(50) }), // cancelled while waiting: never assigned
  ];

  it('logs queued → assigned for each job ADO assigned since the cursor, oldest first, and moves the cursor on', () => {
    const { records, cursor } = jobWaitRecords(ORG, pool, listing, NOW - 240_000);
    expect(records.map((r) => r.requestId)).toEqual([2, 3]);
    expect(records[0]).toEqual({
      event: JOB_WAIT_EVENT,
      v: 1,
      org: ORG,
      pool: 'Linux',
      profile: 'linux-docker',
      agent: agent('linux-docker', 'zzzzzz'),
      requestId: 2,
      jobId: 'job-2',
      queuedAt: at(100),
      assignedAt: at(40),
      waitSeconds: 60,
    });
    expect(records[1]).toMatchObject({ profile: '', agent: 'someone-elses-agent', waitSeconds: 0.1 });
    expect(cursor).toBe(NOW - 29_950);
  });

  it('logs each job once over passes that list it again, and nothing while nothing new is assigned', () => {
    const first = jobWaitRecords(ORG, pool, listing, 0);
    expect(first.records).toHaveLength(3);
    const again = jobWaitRecords(ORG, pool, listing, first.cursor);
    expect(again).toEqual({ records: [], cursor: first.cursor });
    const later = jobWaitRecords(ORG, pool, [...listing, request(6, 'running', { queueTime: at(10), assignTime: at(1) })], again.cursor);
    expect(later.records.map((r) => r.requestId)).toEqual([6]);
  });
});

describe('hookRecords', () => {
  const sub = (status: string, reenabled = false) => ({ id: `id-${status}`, status, reenabled });

  it('says per organization whether our subscriptions are enabled after the run, and what upkeep found', () => {
    const records = hookRecords([
      { orgUrl: 'https://dev.azure.com/a', subscriptions: [sub('enabled')] },
      { orgUrl: 'https://dev.azure.com/b', subscriptions: [sub('enabled'), sub('onProbation', true)] },
      { orgUrl: 'https://dev.azure.com/c', subscriptions: [sub('onProbation', true), sub('disabledByUser')] },
      { orgUrl: 'https://dev.azure.com/d', subscriptions: [] },
      // Re-enabling failed: it stays as ADO had it.
      { orgUrl: 'https://dev.azure.com/e', subscriptions: [sub('disabledBySystem')], error: 'WEBHOOK_PASSWORD is not known' },
      { orgUrl: 'https://dev.azure.com/f', error: 'ADO answered 503' },
      { orgUrl: 'https://dev.azure.com/g', skipped: 'no credential for service hooks (hooksAuth)' },
    ]);
    expect(records.map((r) => [r.org.slice(-1), r.status, r.enabled, r.found, r.reenabled])).toEqual([
      ['a', 'enabled', true, ['enabled'], 0],
      ['b', 'enabled', true, ['enabled', 'onProbation'], 1],
      ['c', 'disabledByUser', false, ['onProbation', 'disabledByUser'], 1],
      ['d', 'none', false, [], 0],
      ['e', 'disabledBySystem', false, ['disabledBySystem'], 0],
      ['f', 'error', null, undefined, 0],
      ['g', 'skipped', null, undefined, 0],
    ]);
    expect(formatRecord(records[0]!).startsWith(recordPrefix(HOOK_EVENT))).toBe(true);
  });
});
