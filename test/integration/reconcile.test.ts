import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { triggerOf } from '../../scripts/local-host/functions-core-shim';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { SIGNAL_WINDOW_MS } from '../../src/queue/pool-signal';
import { dependencies } from '../../src/runtime/dependencies';
import { EMULATOR_PAT } from '../../scripts/local-stack/emulator-stack';
import type { RequestLogEntry } from '../../emulators/ado/ado-emulator';
import { configWithPools, eventually, startScaler, type Scaler } from './scaler-harness';

// Every webhook is lost (no subscription): only the reconcile sweep finds jobs. The sweep only
// signals; the scheduler's pass of each pool lists it and starts agents.
const POOLS = ['gpu', 'linux', 'windows'];
let scaler: Scaler;

beforeAll(async () => {
  scaler = await startScaler({
    config: configWithPools(POOLS),
    subscribe: false,
    latencies: { jobDuration: 200 },
    load: async () => {
      await import('../../functions/reconcile.js');
      await import('../../functions/scheduler.js');
      await import('../../functions/status.js');
    },
  });
});

afterAll(() => scaler?.close());

const queue = () => scaler.stack.serviceBus.queue(SIGNAL_QUEUE);
const orgUrl = () => scaler.stack.ado.orgUrl('contoso');
const passes = () => dependencies().counters.get('passes');
/** The scaler's job request listings (not the simulated agents' calls). */
const isListing = (r: RequestLogEntry) => r.method === 'GET' && /\/pools\/\d+\/jobrequests$/i.test(r.path) && !r.userAgent?.startsWith('VstsAgentCore');
/** completedRequestCount caps the finished requests ADO adds; without it ADO sends the pool's whole history. */
const bounded = (r: RequestLogEntry) => /^\d+$/.test(r.query.completedRequestCount ?? '') && !r.unbounded;

// No test sees what another left: no waiting job, no agent still running, no pass running or
// scheduled (a pass may ask for another a few seconds later), and the pools quiet for a signal
// window since the app's start-up sweep and the last test's signals (so a sweep's signals are
// each pool's first, delivered at once, and not a window's later ones).
beforeEach(async () => {
  for (const job of scaler.stack.ado.jobs().filter((j) => j.state === 'waiting')) scaler.stack.ado.cancelJob(job.requestId);
  const lastSignal = () =>
    Math.max(
      0,
      ...queue()
        .accepted()
        .map((m) => m.enqueuedTimeUtc.getTime()),
    );
  await eventually(
    () =>
      Date.now() - lastSignal() > SIGNAL_WINDOW_MS &&
      queue().active().length + queue().locked().length + queue().scheduled().length === 0 &&
      scaler.stack.ado.jobs().every((j) => j.state === 'finished') &&
      scaler.stack.arm.groups().every((g) => g.container.state === 'Terminated'),
    45_000,
    'the pools to go quiet',
  );
});

describe('reconcile', () => {
  it('runs on its schedule and when the app starts, and the scheduler takes the signals', () => {
    const trigger = (name: string) => triggerOf(scaler.host.functions.find((f) => f.name === name)!);
    expect(trigger('reconcile')).toMatchObject({ type: 'timerTrigger', schedule: '0 * * * * *', runOnStartup: true });
    expect(trigger('scheduler')).toMatchObject({ type: 'serviceBusTrigger', queueName: SIGNAL_QUEUE });
  });

  it('signals every configured pool once and calls no ADO API itself; each pass then lists its pool once, bounded', async () => {
    const { ado } = scaler.stack;
    expect(ado.subscriptions()).toEqual([]);
    const adoMark = ado.requests().length;
    const signalMark = scaler.signals().length;
    const armMark = scaler.stack.arm.requests().length;
    const passesBefore = passes();
    const sweepsBefore = dependencies().counters.get('sweeps');

    await scaler.sweep();
    const sent = scaler.signals().slice(signalMark);
    expect(sent.map((s) => s.pool).sort()).toEqual(POOLS);
    expect(sent.every((s) => s.reason === 'timer' && s.orgUrl === orgUrl())).toBe(true);
    expect(dependencies().counters.get('sweeps')).toBe(sweepsBefore + 1);

    await eventually(() => passes() === passesBefore + POOLS.length && queue().locked().length === 0, 20_000, 'one pass per pool');
    // Since the sweep, ADO saw the passes' listings and nothing else but the client's set-up
    // (location and resource area discovery, pool ids): the sweep made no call.
    const listings = ado.requests().slice(adoMark).filter(isListing);
    const setUp = (r: RequestLogEntry) => r.method === 'OPTIONS' || (r.method === 'GET' && /\/(distributedtask\/pools|ResourceAreas)$/i.test(r.path));
    expect(
      ado
        .requests()
        .slice(adoMark)
        .filter((r) => !r.userAgent?.startsWith('VstsAgentCore') && !setUp(r)),
    ).toEqual(listings);
    expect(listings.map((l) => l.poolId).sort()).toEqual(POOLS.map((p) => ado.poolId('contoso', p)).sort());
    expect(listings.map((l) => [l.status, bounded(l)])).toEqual(POOLS.map(() => [200, true]));
    // Nothing waits, nothing runs: no agent was started, and no pass asked for another.
    expect(
      scaler.stack.arm
        .requests()
        .slice(armMark)
        .filter((r) => r.method === 'PUT'),
    ).toEqual([]);
    expect(queue().scheduled()).toEqual([]);
  });

  it('serves a job whose every webhook was lost after one sweep: an agent is started for it and takes it', async () => {
    const { ado, arm } = scaler.stack;
    const groupsBefore = new Set(arm.groups().map((g) => g.name));
    const adoMark = ado.requests().length;
    const logMark = scaler.logs.length;
    const job = ado.queueJob({ pool: 'windows' });

    await scaler.sweep();

    const served = await eventually(() => ado.jobs().find((j) => j.requestId === job.requestId && j.state === 'finished'), 30_000, 'the job to be served');
    expect(served.result).toBe('succeeded');
    const started = arm.groups().filter((g) => !groupsBefore.has(g.name));
    expect(started.map((g) => g.name)).toEqual([served.agentName]);
    expect(started[0]!.body.tags?.['ado-pool']).toBe('windows');
    const log = scaler.logs.slice(logMark).find((l) => l.functionName === 'scheduler' && l.message.includes('pool "windows" (timer)'));
    if (!log)
      console.log(
        scaler.logs
          .slice(logMark)
          .map((l) => `${l.functionName} ${l.message}`)
          .join('\n'),
      );
    expect(log?.message).toMatch(/waiting 1, .*→ start 1/);
    // However many passes ran meanwhile, each listed its pool with a bound.
    const listings = ado.requests().slice(adoMark).filter(isListing);
    expect(listings.length).toBeGreaterThanOrEqual(POOLS.length);
    expect(listings.filter((l) => !bounded(l))).toEqual([]);
  });

  it('reads the rotated PAT from Key Vault after a 401, without a restart, hands it to new agents, and never logs it', async () => {
    const { ado, arm, keyVault } = scaler.stack;
    const rotated = `rotated-pat-${Date.now()}`;
    const current = keyVault.versions('ado-pat').at(-1)!.value;
    ado.addToken(rotated);
    keyVault.setSecret('ado-pat', rotated);
    ado.revokeToken(current);
    const adoMark = ado.requests().length;
    const armMark = arm.requests().length;
    const logMark = scaler.logs.length;
    const job = ado.queueJob({ pool: 'gpu' });

    await scaler.sweep();

    const served = await eventually(() => ado.jobs().find((j) => j.requestId === job.requestId && j.state === 'finished'), 30_000, 'the job to be served');
    expect(served.result).toBe('succeeded');
    const calls = ado
      .requests()
      .slice(adoMark)
      .filter((r) => !r.userAgent?.startsWith('VstsAgentCore'));
    expect(calls.some((r) => r.status === 401)).toBe(true);
    expect(
      calls
        .filter(isListing)
        .filter((r) => r.status === 200)
        .map((r) => r.poolId),
    ).toEqual(expect.arrayContaining(POOLS.map((p) => ado.poolId('contoso', p))));
    expect(
      arm
        .requests()
        .slice(armMark)
        .filter((r) => r.method === 'PUT')
        .map((r) => r.body.includes(rotated)),
    ).toEqual([true]);
    expect(scaler.logs.slice(logMark).filter((l) => l.level === 'warning' || l.level === 'error')).toEqual([]);
    const text = scaler.logs.map((l) => l.message).join('\n');
    expect(text).not.toContain(rotated);
    expect(text).not.toContain(current);
    expect(text).not.toContain(EMULATOR_PAT);
  });

  it("lists each pool's waiting requests in /api/status, with the scheduler's counters", async () => {
    const { ado } = scaler.stack;
    const gpu = ado.queueJob({ pool: 'gpu', demands: ['Agent.OS -equals Linux'] });
    const linux = [ado.queueJob({ pool: 'linux' }), ado.queueJob({ pool: 'linux', demands: ['docker'] })];

    const status = await scaler.status();

    expect(status.pools.map((p) => [p.pool, p.waiting, p.error])).toEqual([
      ['gpu', 1, undefined],
      ['linux', 2, undefined],
      ['windows', 0, undefined],
    ]);
    const waiting = (pool: string) => status.pools.find((p) => p.pool === pool)!.waitingRequests;
    expect(waiting('gpu')).toEqual([
      { requestId: gpu.requestId, jobId: gpu.jobId, queueTime: expect.any(String) as unknown, demands: ['Agent.OS -equals Linux'] },
    ]);
    expect(waiting('linux').map((r) => [r.requestId, r.jobId])).toEqual(linux.map((j) => [j.requestId, j.jobId]));
    expect(waiting('windows')).toEqual([]);
    expect(status.emulators).toMatchObject({ ado: ado.url });
    expect(status.counters).toMatchObject({
      sweeps: expect.any(Number) as unknown,
      signalsSent: expect.any(Number) as unknown,
      passes: expect.any(Number) as unknown,
      passFailures: 0,
    });
    expect(status.counters.passes).toBeGreaterThanOrEqual(status.counters.sweeps!);
    expect(status.counters).not.toHaveProperty('demandsEnqueued');
    // Looking is not acting: the status page starts nothing.
    expect(scaler.stack.arm.groups().filter((g) => g.container.state !== 'Terminated')).toEqual([]);
  });
});
