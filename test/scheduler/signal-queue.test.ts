import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolSignal } from '../../src/queue/pool-signal';
import { createSignalQueue } from '../../src/queue/signal-queue';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../emulators/service-bus';

// The real Service Bus SDK against the emulator: scheduled messages and duplicate detection do
// the coalescing, nothing of ours in between.
let emulator: ServiceBusEmulator;
let client: ServiceBusClient;
const ORG = 'https://dev.azure.com/contoso';

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ queues: [{ name: 'signals', duplicateDetectionWindowMs: 600_000 }] });
  client = new ServiceBusClient(emulator.connectionString);
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

const signal = (pool: string, reason: PoolSignal['reason'] = 'event'): PoolSignal => ({ version: 2, orgUrl: ORG, pool, reason, observedAt: new Date().toISOString() });

async function receiveAll(expected: number, ms: number): Promise<PoolSignal[]> {
  const receiver = client.createReceiver('signals', { receiveMode: 'receiveAndDelete' });
  const got: PoolSignal[] = [];
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      for (const m of await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 })) got.push(m.body as PoolSignal);
      if (got.length > expected) break;
    }
  } finally {
    await receiver.close();
  }
  return got;
}

describe('signal queue', () => {
  it('turns a burst of signals from two instances into one message per pool, delivered once the window has closed', async () => {
    const [sender, otherSender] = [client.createSender('signals'), client.createSender('signals')];
    // All in one window whatever the sending takes: the clock the queue reads stands still at the
    // start of the next window (a burst that straddles two windows costs two passes, by design).
    const windowStart = Math.ceil(Date.now() / 1_000) * 1_000 + 1_000;
    // Two Functions instances: each collapses its own burst, duplicate detection the two.
    const queue = createSignalQueue(sender, () => windowStart);
    const other = createSignalQueue(otherSender, () => windowStart);
    const sent = Date.now();
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? queue : other).signal([signal('linux')])));
    expect(emulator.queue('signals').accepted().filter((m) => (m.body as PoolSignal).pool === 'linux')).toHaveLength(1);
    await queue.signal([signal('dotnet'), signal('linux', 'timer')]);
    expect(emulator.queue('signals').active()).toEqual([]); // nothing before the window ends
    const got = await receiveAll(2, 3_000);
    await Promise.all([sender.close(), otherSender.close()]);
    expect(got.map((s) => s.pool).sort()).toEqual(['dotnet', 'linux']);
    expect(emulator.queue('signals').accepted().every((m) => m.scheduledEnqueueTimeUtc!.getTime() > sent)).toBe(true);
  });

  it('delivers a pass the scheduler asks for at its time, not before', async () => {
    const sender = client.createSender('signals');
    const at = new Date(Date.now() + 1_500);
    await createSignalQueue(sender).signal([signal('linux', 'scheduled')], at);
    expect(await receiveAll(0, 1_000)).toEqual([]);
    const [later] = await receiveAll(1, 3_000);
    await sender.close();
    expect(later).toMatchObject({ pool: 'linux', reason: 'scheduled' });
    expect(emulator.queue('signals').accepted().at(-1)?.scheduledEnqueueTimeUtc?.getTime()).toBeGreaterThanOrEqual(at.getTime());
  });
});
