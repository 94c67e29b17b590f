import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPersonalAccessTokenHandler, WebApi } from 'azure-devops-node-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JOB_EVENT_TYPE, startAdoEmulator, type AdoEmulator } from './ado-emulator';

const ORG = 'fabrikam';

/** What `hookLoss.random` answers next: a fixed value, or a script of draws that must not run out. */
let draw: () => number = () => 0.99;

function script(...values: number[]): void {
  draw = () => {
    const next = values.shift();
    if (next === undefined) throw new Error('hookLoss drew more often than scripted');
    return next;
  };
}

let emulator: AdoEmulator;
let receiver: Receiver;
let subscriptionId: string;

beforeAll(async () => {
  emulator = await startAdoEmulator({
    organizations: [{ name: ORG, pools: ['lossy'] }],
    hookRetryDelaysMs: [10, 20],
    hookLoss: { lossRate: 0.5, duplicateRate: 0.5, random: () => draw() },
  });
  receiver = await startReceiver();
  const api = new WebApi(emulator.orgUrl(ORG), getPersonalAccessTokenHandler('emulator-pat'));
  const created = await api.rest.create<{ id: string }>(`${emulator.orgUrl(ORG)}/_apis/hooks/subscriptions`, {
    publisherId: 'pipelines',
    eventType: JOB_EVENT_TYPE,
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    consumerInputs: { url: `${receiver.url}/hook` },
  });
  subscriptionId = created.result!.id;
});

afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

beforeEach(async () => {
  await emulator.deliveriesSettled();
  receiver.reset();
  await fetch(`${emulator.url}/_admin/deliveries`, { method: 'DELETE' });
});

interface HookBody {
  id: string;
  notificationId: number;
  resource: { job: { state: string } };
}

describe('hookLoss', () => {
  it('loses every delivery when the draw is always under lossRate: nothing sent, each logged as lost', async () => {
    draw = () => 0;
    const job = emulator.queueJob({ pool: 'lossy' });
    expect(emulator.redeliverJob(job.requestId)).toBe(0);
    emulator.cancelJob(job.requestId);
    await emulator.deliveriesSettled();

    expect(receiver.received()).toEqual([]);
    const log = emulator.deliveries();
    expect(log.map((d) => [d.jobState, d.attempt, d.status, d.error, d.outcome])).toEqual([
      ['waiting', 0, null, 'lost on the way (hookLoss)', 'lost'],
      ['waiting', 0, null, 'lost on the way (hookLoss)', 'lost'],
      ['completed', 0, null, 'lost on the way (hookLoss)', 'lost'],
    ]);
    expect(log.every((d) => d.subscriptionId === subscriptionId && d.requestId === job.requestId)).toBe(true);
    expect(new Set(log.map((d) => d.notificationId)).size).toBe(3);
    // The admin API lists them too.
    const listed = (await (await fetch(`${emulator.url}/_admin/deliveries`)).json()) as { value: Array<{ outcome: string }> };
    expect(listed.value.map((d) => d.outcome)).toEqual(['lost', 'lost', 'lost']);
  });

  it('delivers a duplicated event twice, same id and notificationId; a delivery drawn over both rates goes once', async () => {
    receiver.respond([200]);
    // Waiting: not lost (0.7), duplicated (0.2). Completed: not lost (0.6), not duplicated (0.9).
    script(0.7, 0.2, 0.6, 0.9);
    const job = emulator.queueJob({ pool: 'lossy' });
    await emulator.deliveriesSettled();
    emulator.cancelJob(job.requestId);
    await emulator.deliveriesSettled();

    const bodies = receiver.received().map((r) => r.body as HookBody);
    expect(bodies.map((b) => b.resource.job.state)).toEqual(['waiting', 'waiting', 'completed']);
    const [first, second, completed] = bodies;
    expect(second!.id).toBe(first!.id);
    expect(second!.notificationId).toBe(first!.notificationId);
    expect(completed!.id).not.toBe(first!.id);

    // The two copies travel at once, so either may be logged first.
    const log = emulator.deliveries().map((d) => [d.jobState, d.eventId, d.notificationId, d.attempt, d.status, d.outcome, d.duplicate ?? false]);
    expect(log.sort()).toEqual([
      ['completed', completed!.id, completed!.notificationId, 1, 200, 'delivered', false],
      ['waiting', first!.id, first!.notificationId, 1, 200, 'delivered', false],
      ['waiting', first!.id, first!.notificationId, 1, 200, 'delivered', true],
    ]);
  });

  it('retries each copy of a duplicate on its own schedule', async () => {
    // Whichever copy arrives first gets the 503 and retries; the other one is delivered at once.
    receiver.respond([503, 200]);
    script(0.7, 0.2);
    emulator.queueJob({ pool: 'lossy' });
    await emulator.deliveriesSettled();

    const bodies = receiver.received().map((r) => r.body as HookBody);
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    const log = emulator.deliveries();
    const byCopy = (duplicate: boolean) => log.filter((d) => (d.duplicate ?? false) === duplicate).map((d) => [d.attempt, d.status, d.outcome]);
    const copies = [byCopy(false), byCopy(true)].sort((a, b) => b.length - a.length);
    expect(copies).toEqual([
      [
        [1, 503, 'retrying'],
        [2, 200, 'delivered'],
      ],
      [[1, 200, 'delivered']],
    ]);
  });

  it('refuses rates outside 0..1', async () => {
    await expect(startAdoEmulator({ organizations: [{ name: ORG, pools: [] }], hookLoss: { lossRate: 1.5, duplicateRate: 0 } })).rejects.toThrow(
      /hookLoss needs "lossRate" and "duplicateRate"/,
    );
  });
});

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

interface Receiver {
  readonly url: string;
  /** Statuses to answer in turn; the last one repeats. */
  respond(statuses: number[]): void;
  received(): Received[];
  reset(): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  let plan = [200];
  let log: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      log.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      res.writeHead(plan.length > 1 ? plan.shift()! : plan[0]!);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    respond: (statuses) => (plan = [...statuses]),
    received: () => [...log],
    reset: () => {
      log = [];
      plan = [200];
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
