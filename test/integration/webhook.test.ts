import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { SIGNAL_WINDOW_MS } from '../../src/queue/pool-signal';
import { configWithPools, eventually, startScaler, WEBHOOK_PASSWORD, WEBHOOK_USERNAME, type Scaler } from './scaler-harness';
import { adoRest } from './upkeep-helpers';

const sample = JSON.parse(readFileSync(join(__dirname, '../fixtures/ado/job-state-changed.docs.json'), 'utf8')) as Record<string, unknown>;

/**
 * Two organizations: contoso (pools linux and windows) keeps no standby agents, fabrikam (pools
 * warm and cold) keeps one idle agent ready all day in warm, so a job taking an agent there matters.
 */
const contoso = configWithPools(['linux', 'windows']).organizations[0]!;
const standbyProfile = { ...contoso.pools[0]!.profiles[0]!, standby: [{ days: '*', from: '00:00', to: '23:59', timeZone: 'UTC', agents: 1 }] };
const fabrikam = {
  url: 'https://dev.azure.com/fabrikam',
  auth: contoso.auth,
  pools: [
    { name: 'warm', profiles: [standbyProfile] },
    { name: 'cold', profiles: contoso.pools[0]!.profiles },
  ],
};

let scaler: Scaler;
let orgUrl: string;
let fabrikamUrl: string;

beforeAll(async () => {
  scaler = await startScaler({
    config: { organizations: [contoso, fabrikam] },
    // ADO's retries, spaced so a test can bring Service Bus back between two of them.
    hookRetryDelaysMs: [250, 500, 1_000, 2_000, 4_000, 8_000],
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/reconcile.js');
      await import('../../functions/status.js');
    },
  });
  orgUrl = scaler.stack.ado.orgUrl('contoso');
  fabrikamUrl = scaler.stack.ado.orgUrl('fabrikam');
});

afterAll(() => scaler?.close());

beforeEach(async () => {
  scaler.stack.serviceBus.setAvailable(true);
  await scaler.stack.ado.deliveriesSettled();
  for (const job of scaler.stack.ado.jobs().filter((j) => j.state === 'waiting')) scaler.stack.ado.cancelJob(job.requestId);
  await scaler.stack.ado.deliveriesSettled();
  // Waits for every scheduled signal to come due: a test starts in a window no earlier signal used.
  await scaler.consumeSignals();
});

/** The documented sample, turned into a delivery from the emulated organization. */
function jobEvent(jobId: string, state = 'waiting', org = orgUrl): Record<string, unknown> {
  const event = structuredClone(sample);
  const resource = event.resource as { job: Record<string, unknown> };
  resource.job = { ...resource.job, id: jobId, state, result: null, _links: { web: { href: `${org}/project/_build/results?buildId=2` } } };
  return event;
}

async function deliver(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(scaler.webhookUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${WEBHOOK_USERNAME}:${WEBHOOK_PASSWORD}`).toString('base64')}`,
      'content-type': 'application/json; charset=utf-8',
      ...headers,
    },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

/** The signals the queue accepted since `mark` (a length of scaler.signals()), sorted by organization and pool. */
function signalsSince(mark: number) {
  return scaler
    .signals()
    .slice(mark)
    .map(({ orgUrl: org, pool, reason, jobId }) => ({ orgUrl: org, pool, reason, ...(jobId ? { jobId } : {}) }))
    .sort((a, b) => `${a.orgUrl}|${a.pool}`.localeCompare(`${b.orgUrl}|${b.pool}`));
}

/** One signal per pool of contoso (or of fabrikam), in signalsSince's order. */
const contosoPools = (extra: Record<string, string> = {}) => ['linux', 'windows'].map((pool) => ({ orgUrl, pool, reason: 'event', ...extra }));
const fabrikamPools = (extra: Record<string, string> = {}) => ['cold', 'warm'].map((pool) => ({ orgUrl: fabrikamUrl, pool, reason: 'event', ...extra }));

const windowOf = (ms: number) => Math.floor(ms / SIGNAL_WINDOW_MS);

/**
 * Runs `burst` within one signal window, the pools quiet before it (no signal for a whole window):
 * it starts early in a fresh window and, should it still straddle two (a slow machine), runs
 * again after a quiet window more.
 */
async function inOneWindow<T>(burst: () => Promise<T>): Promise<{ result: T; mark: number; window: number }> {
  let last = Date.now();
  for (let attempt = 1; attempt <= 5; attempt++) {
    const from = (windowOf(last + SIGNAL_WINDOW_MS) + 1) * SIGNAL_WINDOW_MS;
    await eventually(() => Date.now() >= from && Date.now() % SIGNAL_WINDOW_MS < SIGNAL_WINDOW_MS / 4, 5_000, 'the start of a signal window');
    const mark = scaler.signals().length;
    const before = Date.now();
    const result = await burst();
    last = Date.now();
    if (windowOf(before) === windowOf(last)) return { result, mark, window: windowOf(before) };
  }
  throw new Error('five bursts in a row straddled two signal windows');
}

describe('webhook', () => {
  it('turns a waiting job into one signal per pool of its organization, with the job id, without calling ADO', async () => {
    const mark = scaler.signals().length;
    const requestsBefore = scaler.stack.ado.requests().length;
    const job = scaler.stack.ado.queueJob({ pool: 'linux', demands: ['docker'] });
    await scaler.stack.ado.deliveriesSettled();

    const delivery = scaler.stack.ado.deliveries().filter((d) => d.jobId === job.jobId);
    expect(delivery.map((d) => [d.jobState, d.status, d.outcome])).toEqual([['waiting', 202, 'delivered']]);
    expect(scaler.stack.ado.requests().length, 'ADO calls made by the webhook').toBe(requestsBefore);

    // Every pool of contoso (the event names no pool), none of fabrikam.
    expect(signalsSince(mark)).toEqual(contosoPools({ jobId: job.jobId }));
    const consumed = await scaler.consumeSignals();
    expect(consumed.map((s) => [s.version, s.pool, s.jobId]).sort()).toEqual([
      [2, 'linux', job.jobId],
      [2, 'windows', job.jobId],
    ]);
  });

  it('answers 202 with the number of pools signalled', async () => {
    const response = await deliver(jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000202'));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ outcome: 'accepted', reason: 'job waiting: 2 pool(s) signalled' });
  });

  it('looks at quiet pools at once, and collapses the other deliveries of the same event and a sweep within that window into one message per pool, due at the window end', async () => {
    const {
      result: job,
      mark,
      window,
    } = await inOneWindow(async () => {
      const queued = scaler.stack.ado.queueJob({ pool: 'linux', demands: ['Agent.OS -equals Linux'] });
      scaler.stack.ado.redeliverJob(queued.requestId);
      scaler.stack.ado.redeliverJob(queued.requestId);
      await scaler.stack.ado.deliveriesSettled();
      await scaler.sweep();
      return queued;
    });

    const accepted = scaler.stack.ado.deliveries().filter((d) => d.jobId === job.jobId);
    expect(accepted.map((d) => [d.jobState, d.status])).toEqual([
      ['waiting', 202],
      ['waiting', 202],
      ['waiting', 202],
    ]);
    // Each quiet pool's first signal is due at once; contoso's later ones (two redeliveries and the
    // sweep) are one message per pool, the first of them, due at the window's end.
    const signals = scaler.signals().slice(mark);
    const windowEnd = (window + 1) * SIGNAL_WINDOW_MS;
    const brief = ({ orgUrl: org, pool, reason, jobId }: (typeof signals)[number]) => ({ orgUrl: org, pool, reason, ...(jobId ? { jobId } : {}) });
    const byPool = (a: { orgUrl: string; pool: string }, b: { orgUrl: string; pool: string }) => `${a.orgUrl}|${a.pool}`.localeCompare(`${b.orgUrl}|${b.pool}`);
    expect(
      signals
        .filter((s) => s.dueAt < windowEnd)
        .map(brief)
        .sort(byPool),
    ).toEqual([...contosoPools({ jobId: job.jobId }), ...fabrikamPools().map((s) => ({ ...s, reason: 'timer' }))]);
    expect(
      signals
        .filter((s) => s.dueAt >= windowEnd)
        .map(brief)
        .sort(byPool),
    ).toEqual(contosoPools({ jobId: job.jobId }));
    expect(new Set(signals.filter((s) => s.dueAt >= windowEnd).map((s) => s.dueAt))).toEqual(new Set([windowEnd]));
    expect((await scaler.consumeSignals()).map((s) => s.pool).sort()).toEqual(['cold', 'linux', 'linux', 'warm', 'windows', 'windows']);
  });

  it('signals the pools without a job id when a job completes, and ignores a job running where no standby is kept', async () => {
    const rest = adoRest(scaler);
    const ignoredBefore = (await scaler.status()).counters.webhookIgnored!;
    const job = scaler.stack.ado.queueJob({ pool: 'linux' });
    await scaler.stack.ado.deliveriesSettled();
    await scaler.consumeSignals();

    // An agent coming online takes the job: ADO sends "running".
    const mark = scaler.signals().length;
    const agent = await rest.register('linux', { name: 'webhook-test-agent', status: 'online', version: '4.255.0' });
    try {
      await scaler.stack.ado.deliveriesSettled();
      expect(scaler.stack.ado.jobs().find((j) => j.jobId === job.jobId)?.state).toBe('running');
      expect(signalsSince(mark)).toEqual([]);
      expect((await scaler.status()).counters.webhookIgnored! - ignoredBefore).toBe(1);

      scaler.stack.ado.finishJob(job.requestId, 'succeeded');
      await scaler.stack.ado.deliveriesSettled();
    } finally {
      await rest.remove('linux', agent.id);
    }
    expect(
      scaler.stack.ado
        .deliveries()
        .filter((d) => d.jobId === job.jobId)
        .map((d) => [d.jobState, d.status, d.outcome]),
    ).toEqual([
      ['waiting', 202, 'delivered'],
      ['running', 200, 'delivered'],
      ['completed', 202, 'delivered'],
    ]);
    expect(signalsSince(mark)).toEqual(contosoPools());
  });

  it('signals every state of a job where a profile keeps standby agents: waiting with the job id, running and completed without', async () => {
    const rest = adoRest(scaler, 'fabrikam');
    const seen: unknown[] = [];
    let mark = scaler.signals().length;
    const job = scaler.stack.ado.queueJob({ org: 'fabrikam', pool: 'cold' });
    await scaler.stack.ado.deliveriesSettled();
    seen.push(signalsSince(mark));
    await scaler.consumeSignals();

    mark = scaler.signals().length;
    const agent = await rest.register('cold', { name: 'webhook-test-agent', status: 'online', version: '4.255.0' });
    try {
      await scaler.stack.ado.deliveriesSettled();
      seen.push(signalsSince(mark));
      await scaler.consumeSignals();

      mark = scaler.signals().length;
      scaler.stack.ado.finishJob(job.requestId, 'failed');
      await scaler.stack.ado.deliveriesSettled();
      seen.push(signalsSince(mark));
    } finally {
      await rest.remove('cold', agent.id);
    }
    expect(
      scaler.stack.ado
        .deliveries()
        .filter((d) => d.jobId === job.jobId)
        .map((d) => [d.jobState, d.status]),
    ).toEqual([
      ['waiting', 202],
      ['running', 202],
      ['completed', 202],
    ]);
    // The job ran in cold, the pool without standby; warm is signalled all the same (the event names no pool).
    expect(seen).toEqual([fabrikamPools({ jobId: job.jobId }), fabrikamPools(), fabrikamPools()]);
  });

  it('answers 503 while Service Bus is unreachable, so ADO retries, and loses nothing once it is back', async () => {
    scaler.stack.serviceBus.setAvailable(false);
    const mark = scaler.signals().length;
    const response = await deliver(jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000503'));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ outcome: 'unavailable' });

    const job = scaler.stack.ado.queueJob({ pool: 'windows' });
    await eventually(
      () => scaler.stack.ado.deliveries().some((d) => d.jobId === job.jobId && d.status === 503 && d.outcome === 'retrying'),
      20_000,
      "ADO's first attempt",
    );
    scaler.stack.serviceBus.setAvailable(true);
    await scaler.stack.ado.deliveriesSettled();

    const attempts = scaler.stack.ado.deliveries().filter((d) => d.jobId === job.jobId);
    expect(attempts.at(-1)).toMatchObject({ status: 202, outcome: 'delivered' });
    expect(attempts.slice(0, -1).every((d) => d.status === 503 && d.outcome === 'retrying')).toBe(true);
    expect(
      scaler.stack.ado.subscriptions('contoso').filter((s) => 'status' in s),
      'subscriptions put on probation',
    ).toEqual([]);
    expect(signalsSince(mark)).toEqual(contosoPools({ jobId: job.jobId }));
    expect((await scaler.consumeSignals()).map((s) => s.jobId)).toEqual([job.jobId, job.jobId]);
  });

  it.each([
    ['no credentials', { authorization: '' }],
    ['a wrong password', { authorization: `Basic ${Buffer.from(`${WEBHOOK_USERNAME}:nope`).toString('base64')}` }],
    ['a bearer token', { authorization: 'Bearer abc' }],
  ])('rejects %s with 401 and signals nothing', async (_, headers) => {
    const mark = scaler.signals().length;
    const response = await deliver(jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000401'), headers);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ outcome: 'rejected' });
    expect(signalsSince(mark)).toEqual([]);
  });

  it('rejects malformed, oversize and non-JSON deliveries with 400, 413 and 415', async () => {
    const mark = scaler.signals().length;
    expect((await deliver('{"eventType": ')).status).toBe(400);
    expect((await deliver({ hello: 'world' })).status).toBe(400);
    const noJobId = jobEvent('x');
    (noJobId.resource as { job: Record<string, unknown> }).job.id = undefined;
    expect((await deliver(noJobId)).status).toBe(400);
    const padded = { ...jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000413'), padding: 'x'.repeat(2 * 1024 * 1024) };
    expect((await deliver(padded)).status).toBe(413);
    expect((await deliver(JSON.stringify(jobEvent('y')), { 'content-type': 'text/plain' })).status).toBe(415);
    expect(signalsSince(mark)).toEqual([]);
  });

  it('answers 200 and signals nothing for other events, other job states and organizations it does not manage', async () => {
    const mark = scaler.signals().length;
    const ignored = async (body: unknown) => {
      const response = await deliver(body);
      return [response.status, ((await response.json()) as { outcome: string }).outcome];
    };
    expect(await ignored(structuredClone(sample)), 'the documented sample: fabrikamfiber, not configured').toEqual([200, 'ignored']);
    expect(await ignored(jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000003', 'waiting', 'https://dev.azure.com/northwind'))).toEqual([200, 'ignored']);
    expect(await ignored(jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000004', 'completed', 'https://dev.azure.com/northwind'))).toEqual([200, 'ignored']);
    expect(await ignored(jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000001', 'Running'))).toEqual([200, 'ignored']);
    expect(await ignored(jobEvent('d3d3d3d3-eeee-ffff-aaaa-000000000002', 'cancelling'))).toEqual([200, 'ignored']);
    expect(await ignored({ ...jobEvent('z'), eventType: 'build.complete' })).toEqual([200, 'ignored']);
    expect(signalsSince(mark)).toEqual([]);
  });

  it('accepts the job state in any casing', async () => {
    const mark = scaler.signals().length;
    const ids = ['d3d3d3d3-eeee-ffff-aaaa-00000000000a', 'd3d3d3d3-eeee-ffff-aaaa-00000000000b', 'd3d3d3d3-eeee-ffff-aaaa-00000000000c'];
    expect((await deliver(jobEvent(ids[0]!, 'Waiting'))).status).toBe(202);
    expect((await deliver(jobEvent(ids[1]!, 'WAITING'))).status).toBe(202);
    const running = await deliver(jobEvent(ids[2]!, 'RUNNING', fabrikamUrl));
    expect(running.status).toBe(202);
    expect(await running.json()).toEqual({ outcome: 'accepted', reason: 'job running: 2 pool(s) signalled' });
    // Real deliveries spell a running job inProgress.
    const inProgress = await deliver(jobEvent(ids[2]!, 'INPROGRESS', fabrikamUrl));
    expect(await inProgress.json()).toEqual({ outcome: 'accepted', reason: 'job running: 2 pool(s) signalled' });
    // Both contoso deliveries may fall into one window, which keeps the first: each pool has a look with one of the ids.
    const signals = signalsSince(mark);
    expect(new Set(signals.map((s) => `${s.orgUrl}|${s.pool}`))).toEqual(
      new Set([`${orgUrl}|linux`, `${orgUrl}|windows`, `${fabrikamUrl}|cold`, `${fabrikamUrl}|warm`]),
    );
    for (const s of signals.filter((x) => x.orgUrl === orgUrl)) expect(ids.slice(0, 2)).toContain(s.jobId);
    expect(signals.filter((x) => x.orgUrl === fabrikamUrl && 'jobId' in x)).toEqual([]);
  });

  it('never throws and never answers 500, whatever arrives', async () => {
    const bodies: Array<string | Uint8Array> = [
      '',
      'null',
      '[]',
      '"text"',
      '123',
      '{"eventType": 5}',
      '{"eventType": "ms.vss-pipelines.job-state-changed-event"}',
      '{"eventType": "ms.vss-pipelines.job-state-changed-event", "resource": null}',
      '{"eventType": "ms.vss-pipelines.job-state-changed-event", "resource": {"job": {"id": 1, "state": []}}}',
      JSON.stringify({ ...jobEvent('d3d3d3d3-eeee-ffff-aaaa-00000000000c'), resourceContainers: 'nope' }),
      '['.repeat(5000) + ']'.repeat(5000),
      new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
    ];
    for (const body of bodies) {
      const response = await deliver(body);
      expect([200, 202, 400], `body ${String(body).slice(0, 40)}`).toContain(response.status);
    }
    const noContentType = await fetch(scaler.webhookUrl, { method: 'POST', body: 'x', headers: { authorization: 'Basic Og==' } });
    expect(noContentType.status).toBe(401);
  });

  it('counts accepted, ignored and rejected deliveries and the signals sent in /api/status', async () => {
    const before = (await scaler.status()).counters;
    await deliver(jobEvent('d3d3d3d3-eeee-ffff-aaaa-00000000000d'));
    await deliver({ ...jobEvent('q'), eventType: 'git.push' });
    await deliver('{', {});
    const after = (await scaler.status()).counters;
    expect(after.webhookAccepted! - before.webhookAccepted!).toBe(1);
    expect(after.webhookIgnored! - before.webhookIgnored!).toBe(1);
    expect(after.webhookRejected! - before.webhookRejected!).toBe(1);
    expect(after.signalsSent! - before.signalsSent!, 'one per pool of contoso').toBe(2);
  });

  it('never writes the webhook password or the PAT to the log, and dead-letters nothing', () => {
    const text = scaler.logs.map((l) => l.message).join('\n');
    expect(text).not.toContain(WEBHOOK_PASSWORD);
    expect(text).not.toContain('emulator-pat');
    expect(scaler.stack.serviceBus.queue(SIGNAL_QUEUE).deadLettered()).toEqual([]);
  });
});
