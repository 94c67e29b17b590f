import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { configWithPools, eventually, startScaler, WEBHOOK_PASSWORD, WEBHOOK_USERNAME, type Scaler } from './scaler-harness';

const sample = JSON.parse(readFileSync(join(__dirname, '../fixtures/ado/job-state-changed.docs.json'), 'utf8')) as Record<string, unknown>;

let scaler: Scaler;
let orgUrl: string;

beforeAll(async () => {
  scaler = await startScaler({
    config: configWithPools(['linux']),
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/reconcile.js');
      await import('../../functions/status.js');
    },
  });
  orgUrl = scaler.stack.ado.orgUrl('contoso');
});

afterAll(() => scaler?.close());

beforeEach(async () => {
  await scaler.stack.ado.deliveriesSettled();
  await scaler.consumeDemands();
  for (const job of scaler.stack.ado.jobs().filter((j) => j.state === 'waiting')) scaler.stack.ado.cancelJob(job.requestId);
  await scaler.stack.ado.deliveriesSettled();
  scaler.stack.serviceBus.setAvailable(true);
});

/** The documented sample, turned into a waiting-job delivery from the emulated organization. */
function waitingEvent(jobId: string, state = 'waiting'): Record<string, unknown> {
  const event = structuredClone(sample);
  const resource = event.resource as { job: Record<string, unknown> };
  resource.job = { ...resource.job, id: jobId, state, result: null, _links: { web: { href: `${orgUrl}/project/_build/results?buildId=2` } } };
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

describe('webhook', () => {
  it('turns a waiting job from ADO into exactly one valid demand message, without calling ADO', async () => {
    const requestsBefore = scaler.stack.ado.requests().length;
    const job = scaler.stack.ado.queueJob({ pool: 'linux', demands: ['docker'] });
    await scaler.stack.ado.deliveriesSettled();

    const delivery = scaler.stack.ado.deliveries().filter((d) => d.jobId === job.jobId);
    expect(delivery.map((d) => [d.jobState, d.status, d.outcome])).toEqual([['waiting', 202, 'delivered']]);
    expect(scaler.stack.ado.requests().length).toBe(requestsBefore);

    const demands = await scaler.consumeDemands();
    expect(demands).toEqual([
      expect.objectContaining({ version: 1, orgUrl, jobId: job.jobId, source: 'webhook' }),
    ]);
  });

  it('collapses the same delivery sent three times plus a sweep that sees the job into one demand', async () => {
    // Duplicates collapse within one reconcile period (60 s); start well inside one.
    await eventually(() => Date.now() % 60_000 < 55_000, 6_000, 'a point away from a period boundary');
    const job = scaler.stack.ado.queueJob({ pool: 'linux', demands: ['Agent.OS -equals Linux'] });
    scaler.stack.ado.redeliverJob(job.requestId);
    scaler.stack.ado.redeliverJob(job.requestId);
    await scaler.stack.ado.deliveriesSettled();
    const listingsBefore = scaler.stack.ado.requests().filter((r) => r.path.includes('jobrequests') && r.status === 200).length;
    await scaler.sweep();
    const listingsAfter = scaler.stack.ado.requests().filter((r) => r.path.includes('jobrequests') && r.status === 200).length;
    expect(listingsAfter - listingsBefore, 'the sweep listed the pool and saw the job').toBe(1);
    expect((await scaler.status()).pools[0]?.waitingRequests.map((r) => r.jobId)).toContain(job.jobId);

    const accepted = scaler.stack.ado.deliveries().filter((d) => d.jobId === job.jobId && d.status === 202);
    expect(accepted).toHaveLength(3);
    const demands = await scaler.consumeDemands();
    expect(demands.map((d) => d.jobId)).toEqual([job.jobId]);
  });

  it('answers 503 while the queue is unreachable, so ADO retries, and recovers when it is back', async () => {
    scaler.stack.serviceBus.setAvailable(false);
    const jobId = 'd3d3d3d3-eeee-ffff-aaaa-000000000503';
    const response = await deliver(waitingEvent(jobId));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ outcome: 'unavailable' });

    scaler.stack.serviceBus.setAvailable(true);
    const retried = await eventually(async () => {
      const r = await deliver(waitingEvent(jobId));
      return r.status === 202 && r;
    }, 20_000, 'the queue to accept again');
    expect(retried.status).toBe(202);
    expect((await scaler.consumeDemands()).map((d) => d.jobId)).toEqual([jobId]);
  });

  it.each([
    ['no credentials', { authorization: '' }, 401],
    ['a wrong password', { authorization: `Basic ${Buffer.from(`${WEBHOOK_USERNAME}:nope`).toString('base64')}` }, 401],
    ['a bearer token', { authorization: 'Bearer abc' }, 401],
  ])('rejects %s with 401 and enqueues nothing', async (_, headers, status) => {
    const response = await deliver(waitingEvent('d3d3d3d3-eeee-ffff-aaaa-000000000401'), headers);
    expect(response.status).toBe(status);
    expect(scaler.queuedDemands()).toEqual([]);
  });

  it('rejects malformed, oversize and non-JSON deliveries with 400, 413 and 415', async () => {
    expect((await deliver('{"eventType": ')).status).toBe(400);
    expect((await deliver({ hello: 'world' })).status).toBe(400);
    const noJobId = waitingEvent('x');
    (noJobId.resource as { job: Record<string, unknown> }).job.id = undefined;
    expect((await deliver(noJobId)).status).toBe(400);
    const padded = { ...waitingEvent('d3d3d3d3-eeee-ffff-aaaa-000000000413'), padding: 'x'.repeat(2 * 1024 * 1024) };
    expect((await deliver(padded)).status).toBe(413);
    expect((await deliver(JSON.stringify(waitingEvent('y')), { 'content-type': 'text/plain' })).status).toBe(415);
    expect(scaler.queuedDemands()).toEqual([]);
  });

  it('answers 200 and enqueues nothing for other events, other job states and unknown organizations', async () => {
    const completed = structuredClone(sample); // the documented sample as published: state completed
    expect((await deliver(completed)).status).toBe(200);
    expect((await deliver(waitingEvent('d3d3d3d3-eeee-ffff-aaaa-000000000001', 'Running'))).status).toBe(200);
    expect((await deliver({ ...waitingEvent('z'), eventType: 'build.complete' })).status).toBe(200);
    const foreign = waitingEvent('d3d3d3d3-eeee-ffff-aaaa-000000000002');
    (foreign.resource as { job: Record<string, unknown> }).job._links = { web: { href: 'https://dev.azure.com/fabrikam/p/_build' } };
    expect((await deliver(foreign)).status).toBe(200);
    expect(scaler.queuedDemands()).toEqual([]);
  });

  it('accepts the job state in any casing', async () => {
    expect((await deliver(waitingEvent('d3d3d3d3-eeee-ffff-aaaa-00000000000a', 'Waiting'))).status).toBe(202);
    expect((await deliver(waitingEvent('d3d3d3d3-eeee-ffff-aaaa-00000000000b', 'WAITING'))).status).toBe(202);
    expect(scaler.queuedDemands()).toHaveLength(2);
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
      JSON.stringify({ ...waitingEvent('d3d3d3d3-eeee-ffff-aaaa-00000000000c'), resourceContainers: 'nope' }),
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

  it('counts accepted, ignored and rejected deliveries in /api/status', async () => {
    const before = (await scaler.status()).counters;
    await deliver(waitingEvent('d3d3d3d3-eeee-ffff-aaaa-00000000000d'));
    await deliver({ ...waitingEvent('q'), eventType: 'git.push' });
    await deliver('{', {});
    const after = (await scaler.status()).counters;
    expect(after.webhookAccepted! - before.webhookAccepted!).toBe(1);
    expect(after.webhookIgnored! - before.webhookIgnored!).toBe(1);
    expect(after.webhookRejected! - before.webhookRejected!).toBe(1);
    expect(after.demandsEnqueued! - before.demandsEnqueued!).toBe(1);
  });

  it('never writes the webhook password or the PAT to the log', () => {
    const text = scaler.logs.map((l) => l.message).join('\n');
    expect(text).not.toContain(WEBHOOK_PASSWORD);
    expect(text).not.toContain('emulator-pat');
    expect(scaler.stack.serviceBus.queue(DEMAND_QUEUE).deadLettered()).toEqual([]);
  });
});
