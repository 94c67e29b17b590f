import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/helpers/manual-clock';
import { JOB_EVENT_TYPE, startAdoEmulator, type AdoEmulator } from './ado-emulator';

const ORG = 'fabrikam';
const ADMIN = `Basic ${Buffer.from(':emulator-pat').toString('base64')}`;
const MINUTE = 60_000;
let clock: ManualClock;
let ado: AdoEmulator;
let receiver: Server;
let receiverUrl: string;
/** What the webhook answers, in turn; the last one from then on. */
let answers: number[] = [200];

beforeAll(async () => {
  clock = new ManualClock();
  // ADO's own schedules, on a clock the test moves.
  ado = await startAdoEmulator({ organizations: [{ name: ORG, pools: ['linux'] }], now: clock.now, hookTimers: clock });
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answers.length > 1 ? answers.shift()! : answers[0]!).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await ado?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

afterEach(async () => {
  for (const s of ado.subscriptions(ORG)) await rest('DELETE', `subscriptions/${s.id as string}`);
  ado.clearFaults();
});

async function rest(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${ado.orgUrl(ORG)}/_apis/hooks/${path}?api-version=7.1`, {
    method,
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

async function subscribe(): Promise<string> {
  const sub = await rest('POST', 'subscriptions', {
    publisherId: 'pipelines',
    eventType: JOB_EVENT_TYPE,
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    consumerInputs: { url: receiverUrl, basicAuthUsername: 'ado', basicAuthPassword: 'the-webhook-password' },
  });
  return sub.id as string;
}

const subscription = (id: string) => rest('GET', `subscriptions/${id}`);
/** Delivery attempts to a subscription: minutes since `start`, status, outcome, and which probation retry. */
const attempts = (id: string, start: number) =>
  ado
    .deliveries()
    .filter((d) => d.subscriptionId === id && d.attempt > 0)
    .map((d) => [(Date.parse(d.time) - start) / MINUTE, d.status, d.outcome, d.probationRetry ?? 0]);

/** Moves the clock to each waiting retry in turn, letting each attempt be answered. */
async function runTimers(count: number): Promise<void> {
  await ado.deliveriesSettled();
  for (let i = 0; i < count; i++) {
    clock.runNext();
    await ado.deliveriesSettled();
  }
}

describe("hook delivery on ADO's schedule", () => {
  it('retries 503s 8 times over about 3 minutes, then probation; probation retries at 20 min, 40 min, ... up to 15 h; disabledBySystem after the 7th fails', async () => {
    answers = [503];
    const id = await subscribe();
    const start = clock.now();
    ado.queueJob({ org: ORG, pool: 'linux' });
    await runTimers(8);
    expect(await subscription(id)).toMatchObject({ status: 'onProbation', probationRetries: 0 });
    const seconds = attempts(id, start).map(([m, status, outcome]) => [Math.round((m as number) * 60), status, outcome]);
    expect(seconds).toEqual([
      [0, 503, 'retrying'],
      [1, 503, 'retrying'],
      [3, 503, 'retrying'],
      [7, 503, 'retrying'],
      [15, 503, 'retrying'],
      [31, 503, 'retrying'],
      [63, 503, 'retrying'],
      [123, 503, 'retrying'],
      [183, 503, 'probation'],
    ]);

    // Events meanwhile are dropped; the failed notification is what probation retries.
    ado.queueJob({ org: ORG, pool: 'linux' });
    expect(
      ado
        .deliveries()
        .filter((d) => d.subscriptionId === id)
        .at(-1),
    ).toMatchObject({ outcome: 'dropped', error: 'subscription is onProbation' });

    const probationStart = start + 183_000;
    await runTimers(6);
    expect(await subscription(id)).toMatchObject({ status: 'onProbation', probationRetries: 6 });
    await runTimers(1);
    expect(await subscription(id)).toMatchObject({ status: 'disabledBySystem' });
    expect(attempts(id, probationStart).slice(9)).toEqual([
      [20, 503, 'probation', 1],
      [60, 503, 'probation', 2],
      [140, 503, 'probation', 3],
      [300, 503, 'probation', 4],
      [620, 503, 'probation', 5],
      [1260, 503, 'probation', 6],
      [2160, 503, 'disabled', 7],
    ]);
    expect(clock.nextDueIn()).toBeUndefined();
  });

  it('puts a subscription on probation at once for a 500, and enables it again at the first probation retry that succeeds', async () => {
    answers = [500, 200];
    const id = await subscribe();
    const start = clock.now();
    const job = ado.queueJob({ org: ORG, pool: 'linux' });
    await ado.deliveriesSettled();
    expect(await subscription(id)).toMatchObject({ status: 'onProbation' });
    await runTimers(1);
    expect(await subscription(id)).not.toHaveProperty('status');
    expect(attempts(id, start)).toEqual([
      [0, 500, 'probation', 0],
      [20, 200, 'delivered', 1],
    ]);
    // The retry was the notification that failed: the waiting event of that job.
    expect(
      ado
        .deliveries()
        .filter((d) => d.subscriptionId === id)
        .map((d) => d.jobId),
    ).toEqual([job.jobId, job.jobId]);
    ado.queueJob({ org: ORG, pool: 'linux' });
    await ado.deliveriesSettled();
    expect(
      ado
        .deliveries()
        .filter((d) => d.subscriptionId === id)
        .at(-1),
    ).toMatchObject({ status: 200, outcome: 'delivered' });
    expect(clock.nextDueIn()).toBeUndefined();
  });

  it('a subscription re-enabled by a PUT during probation gets no probation retry; a 410 disables it at once', async () => {
    answers = [500, 200];
    const id = await subscribe();
    ado.queueJob({ org: ORG, pool: 'linux' });
    await ado.deliveriesSettled();
    const { id: _id, url: _url, status: _status, probationRetries: _retries, ...listed } = await subscription(id);
    await rest('PUT', `subscriptions/${id}`, {
      ...listed,
      consumerInputs: { ...(listed.consumerInputs as object), basicAuthPassword: 'the-webhook-password' },
    });
    expect(await subscription(id)).not.toHaveProperty('status');
    const before = ado.deliveries().length;
    await runTimers(1);
    expect(ado.deliveries().length).toBe(before);

    answers = [410];
    ado.queueJob({ org: ORG, pool: 'linux' });
    await ado.deliveriesSettled();
    expect(await subscription(id)).toMatchObject({ status: 'disabledBySystem' });
    expect(ado.deliveries().at(-1)).toMatchObject({ status: 410, outcome: 'disabled' });
  });
});
