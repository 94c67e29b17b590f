import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { parsePoolSignal } from '../../src/queue/pool-signal';
import type { RequestLogEntry } from '../../emulators/ado/ado-emulator';
import type { InspectedMessage } from '../../emulators/service-bus/service-bus-emulator';
import { OffsetClock } from '../helpers/offset-clock';
import { configWithPools, eventually, startScaler, type Scaler, scheduledLook } from './scaler-harness';

// What a pool's pass does when ADO fails it: a pool that does not exist, throttling, an outage.
// The failing pool backs off and schedules its own next pass; the other pools are served.
// "ghost" is configured but does not exist in the organization: it fails in the background all
// along, backing off further each time. The scaler, Service Bus and ADO share one clock, which a
// test moves past a back-off instead of waiting it out.
let scaler: Scaler;
const clock = new OffsetClock();

beforeAll(async () => {
  scaler = await startScaler({
    config: configWithPools(['linux', 'windows', 'gpu', 'ghost']),
    omitPools: ['ghost'],
    subscribe: false,
    latencies: { jobDuration: 200 },
    now: clock.now,
    serviceBusClock: clock.now,
    ado: { now: clock.now },
    load: async () => {
      await import('../../functions/reconcile.js');
      await import('../../functions/scheduler.js');
      await import('../../functions/status.js');
    },
  });
});

afterAll(() => scaler?.close());

const queue = () => scaler.stack.serviceBus.queue(SIGNAL_QUEUE);
const poolOf = (m: InspectedMessage) => {
  const parsed = parsePoolSignal(m.body);
  return parsed.ok ? parsed.signal.pool : undefined;
};
const dueAt = (m: InspectedMessage) => (m.scheduledEnqueueTimeUtc ?? m.enqueuedTimeUtc).getTime();
/** Signals for `pool` being handled now, or due within a reconcile period. */
const pending = (pool: string) =>
  [
    ...queue().active(),
    ...queue().locked(),
    ...queue()
      .scheduled()
      .filter((m) => dueAt(m) < clock.now() + 60_000),
  ].filter((m) => poolOf(m) === pool);
const poolId = (pool: string) => scaler.stack.ado.poolId('contoso', pool);
/** The scaler's job request listings of a pool since `mark`. */
const listings = (pool: string, mark: number) =>
  scaler.stack.ado
    .requests()
    .slice(mark)
    .filter((r: RequestLogEntry) => r.method === 'GET' && r.path.endsWith(`/pools/${poolId(pool)}/jobrequests`) && !r.userAgent?.startsWith('VstsAgentCore'));
const warningsAbout = (pool: string, logMark = 0) => scaler.logs.slice(logMark).filter((l) => l.level === 'warning' && l.message.includes(`pool "${pool}"`));

async function served(requestId: number) {
  const job = await eventually(
    () => scaler.stack.ado.jobs().find((j) => j.requestId === requestId && j.state === 'finished'),
    30_000,
    `job request ${requestId} to be served`,
  );
  expect(job.result).toBe('succeeded');
  return job;
}

/** A sweep in a new signal window, so its signals are not dropped as duplicates of the last sweep's. */
async function sweep(): Promise<void> {
  const last = scaler
    .signals()
    .filter((s) => s.reason === 'timer')
    .at(-1);
  if (last) clock.advance(last.dueAt - clock.now());
  await scaler.sweep();
}

// No test sees what another left: no waiting job, no agent still running, no pass of the pools
// it uses running or due soon ("ghost" keeps failing, and a throttled pool waits an hour).
beforeEach(async () => {
  scaler.stack.ado.clearFaults();
  for (const job of scaler.stack.ado.jobs().filter((j) => j.state === 'waiting')) scaler.stack.ado.cancelJob(job.requestId);
  await eventually(
    () =>
      ['linux', 'windows', 'gpu'].every((p) => pending(p).length === 0) &&
      scaler.stack.ado.jobs().every((j) => j.state === 'finished') &&
      scaler.stack.arm.groups().every((g) => g.container.state === 'Terminated'),
    45_000,
    'the pools to go quiet',
  );
});

describe('scheduler faults', () => {
  it('reports a configured pool that does not exist in ADO by name, in the log and in /api/status, and still serves the other pools', async () => {
    const job = scaler.stack.ado.queueJob({ pool: 'gpu' });
    await sweep();
    await served(job.requestId);

    const warning = await eventually(() => warningsAbout('ghost').at(0), 20_000, 'a warning about "ghost"');
    expect(warning.functionName).toBe('scheduler');
    expect(warning.message).toMatch(/pass of pool "ghost" of .*contoso failed; it backs off.*Agent pool "ghost" was not found in .*contoso.*Agent pools/);
    // It backs off: its next pass is scheduled seconds later, not run again at once.
    const retry = await eventually(() => scaler.signals().find((s) => s.pool === 'ghost' && s.reason === 'scheduled'), 20_000, 'the retry of "ghost"');
    expect(retry.dueAt - Date.parse(retry.observedAt)).toBeGreaterThanOrEqual(4_000);

    const status = await scaler.status();
    expect(status.pools.find((p) => p.pool === 'ghost')?.error).toMatch(/Agent pool "ghost" was not found/);
    expect(status.pools.filter((p) => p.error).map((p) => p.pool)).toEqual(['ghost']);
    expect(status.counters.passFailures).toBeGreaterThan(0);
    expect(warningsAbout('gpu')).toEqual([]);
  });

  it('waits out a short Retry-After when ADO answers 429, within the pass, which then serves the job', async () => {
    const { ado } = scaler.stack;
    ado.injectFault({ status: 429, retryAfterSeconds: 1, count: 1, pathContains: `/pools/${poolId('linux')}/jobrequests` });
    const mark = ado.requests().length;
    const logMark = scaler.logs.length;
    const job = ado.queueJob({ pool: 'linux' });

    await sweep();
    await served(job.requestId);

    const linux = listings('linux', mark);
    expect(linux.slice(0, 2).map((r) => [r.status, r.injected])).toEqual([
      [429, true],
      [200, undefined],
    ]);
    expect(Date.parse(linux[1]!.time) - Date.parse(linux[0]!.time)).toBeGreaterThanOrEqual(1_000);
    expect(warningsAbout('linux', logMark)).toEqual([]);
  });

  it('backs a pool off after a failed pass (ADO answers 500) and serves its job at the retry it scheduled, without another sweep', async () => {
    const { ado } = scaler.stack;
    ado.injectFault({ status: 500, count: 1, pathContains: `/pools/${poolId('linux')}/jobrequests` });
    const mark = ado.requests().length;
    const logMark = scaler.logs.length;
    const signalMark = scaler.signals().length;
    const job = ado.queueJob({ pool: 'linux' });

    await sweep();
    // The failed pass scheduled its retry and made no other listing: the clock moves to the retry.
    const retry = await scheduledLook(scaler, 'linux', signalMark, 'the retry of "linux"', 20_000);
    expect(listings('linux', mark).map((r) => r.status)).toEqual([500]);
    clock.advance(retry.dueAt - clock.now());
    await served(job.requestId);

    const linux = listings('linux', mark);
    expect(linux.slice(0, 2).map((r) => r.status)).toEqual([500, 200]);
    // The first retry comes after the first back-off step (5 s), not at once.
    expect(Date.parse(linux[1]!.time) - Date.parse(linux[0]!.time)).toBeGreaterThanOrEqual(4_000);
    expect(
      scaler
        .signals()
        .slice(signalMark)
        .filter((s) => s.pool === 'linux')
        .map((s) => s.reason)
        .slice(0, 2),
    ).toEqual(['timer', 'scheduled']);
    expect(warningsAbout('linux', logMark).map((l) => l.message)).toEqual([
      expect.stringMatching(/pass of pool "linux" .*failed; it backs off and tries again: Azure DevOps failed/),
    ]);
  });

  it('backs a pool off for a long Retry-After without hot-looping: one listing, a warning naming the pool, no pass before then', async () => {
    const { ado, arm } = scaler.stack;
    ado.injectFault({ status: 429, retryAfterSeconds: 3600, count: 1, pathContains: `/pools/${poolId('windows')}/jobrequests` });
    const mark = ado.requests().length;
    const logMark = scaler.logs.length;
    const signalMark = scaler.signals().length;
    const job = ado.queueJob({ pool: 'windows' });

    await sweep();

    const warning = await eventually(() => warningsAbout('windows', logMark).at(0), 20_000, 'a warning about "windows"');
    expect(warning.message).toMatch(/pass of pool "windows" .*failed; it backs off.*throttled.*retry after 3600 s/);
    const retry = await scheduledLook(scaler, 'windows', signalMark, 'the retry of "windows"', 10_000);
    expect(retry.dueAt).toBeGreaterThanOrEqual(clock.now() + 3_500_000);

    // Later sweeps signal the pool again; each signal finds it backing off and starts no pass.
    for (let i = 0; i < 2; i++) {
      await sweep();
      await eventually(() => pending('windows').length === 0, 20_000, 'the signal to be handled');
    }
    expect(
      scaler
        .signals()
        .slice(signalMark)
        .filter((s) => s.pool === 'windows')
        .map((s) => s.reason),
    ).toEqual(['timer', 'scheduled', 'timer', 'timer']);
    expect(listings('windows', mark).map((r) => r.status)).toEqual([429]);
    expect(warningsAbout('windows', logMark)).toHaveLength(1);
    expect(arm.groups().filter((g) => g.body.tags?.['ado-pool'] === 'windows')).toEqual([]);
    expect(ado.jobs().find((j) => j.requestId === job.requestId)?.state).toBe('waiting');
  });
});
