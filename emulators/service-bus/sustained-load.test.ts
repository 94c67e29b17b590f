import { ServiceBusClient } from '@azure/service-bus';
import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MockInstance } from 'vitest';
import { startServiceBusEmulator } from './service-bus-emulator';
import type { ServiceBusEmulator } from './service-bus-emulator';

// rhea keeps at most 2048 unsettled deliveries per session direction; every count here is well
// past that, so deliveries the emulator never lets go of overflow rhea's buffer.
const messageCount = 5_000;
const scheduleCalls = 3_000;
const managementCalls = 3_000;

let emulator: ServiceBusEmulator;
let client: ServiceBusClient;
let consoleError: MockInstance<typeof console.error>;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};

beforeAll(async () => {
  consoleError = vi.spyOn(console, 'error');
  process.on('uncaughtException', onUncaught);
  emulator = await startServiceBusEmulator({
    queues: [{ name: 'load' }, { name: 'scheduled-load' }, { name: 'management-load' }],
  });
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
  process.off('uncaughtException', onUncaught);
  consoleError?.mockRestore();
});

async function pollUntil(condition: () => boolean, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (uncaught.length > 0) throw uncaught[0] as Error;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** rhea reports protocol trouble (unknown outcomes, lost deliveries) only on console.error. */
function rheaComplaints(): string[] {
  return consoleError.mock.calls.map((args) => args.map(String).join(' '));
}

describe('Service Bus emulator under sustained load on long-lived links', () => {
  it('delivers and completes thousands of messages through one subscribe receiver', async () => {
    const sender = client.createSender('load');
    const receiver = client.createReceiver('load');
    const completed = new Set<number>();
    const errors: unknown[] = [];
    const subscription = receiver.subscribe(
      {
        processMessage: async (message: ServiceBusReceivedMessage) => {
          completed.add(message.body as number);
          await Promise.resolve();
        },
        processError: async (args) => {
          errors.push(args.error);
          await Promise.resolve();
        },
      },
      { autoCompleteMessages: true, maxConcurrentCalls: 16 },
    );

    for (let start = 0; start < messageCount; start += 250) {
      const batch: ServiceBusMessage[] = [];
      for (let i = start; i < Math.min(start + 250, messageCount); i++) batch.push({ body: i });
      await sender.sendMessages(batch);
    }
    await pollUntil(() => completed.size === messageCount, 15_000);
    // Settlement is asynchronous: wait until the broker has applied the last completions.
    await pollUntil(() => emulator.queue('load').active().length === 0 && emulator.queue('load').locked().length === 0, 5_000);

    await subscription.close();
    await receiver.close();
    await sender.close();
    expect(errors).toEqual([]);
    expect(uncaught).toEqual([]);
    expect(rheaComplaints()).toEqual([]);
  });

  it('answers thousands of scheduleMessages calls on one sender', async () => {
    const sender = client.createSender('scheduled-load');
    const far = new Date(Date.now() + 3_600_000);
    const sequenceNumbers: number[] = [];
    for (let start = 0; start < scheduleCalls; start += 50) {
      const calls = [];
      for (let i = start; i < Math.min(start + 50, scheduleCalls); i++) {
        calls.push(sender.scheduleMessages({ body: i }, far));
      }
      for (const numbers of await Promise.all(calls)) sequenceNumbers.push(...numbers.map(Number));
    }
    await sender.close();

    expect(new Set(sequenceNumbers).size).toBe(scheduleCalls);
    expect(emulator.queue('scheduled-load').scheduled().length).toBe(scheduleCalls);
    expect(uncaught).toEqual([]);
    expect(rheaComplaints()).toEqual([]);
  });

  it('answers thousands of lock renewals and peeks on one receiver', async () => {
    const sender = client.createSender('management-load');
    await sender.sendMessages([{ body: 'a' }, { body: 'b' }]);
    await sender.close();
    const receiver = client.createReceiver('management-load');
    const [locked] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    if (!locked) throw new Error('no message arrived');

    let answered = 0;
    for (let start = 0; start < managementCalls; start += 50) {
      const calls: Array<Promise<unknown>> = [];
      for (let i = start; i < Math.min(start + 50, managementCalls); i++) {
        calls.push(i % 2 === 0 ? receiver.renewMessageLock(locked) : receiver.peekMessages(1, { fromSequenceNumber: locked.sequenceNumber }));
      }
      answered += (await Promise.all(calls)).length;
    }
    await receiver.completeMessage(locked);
    await receiver.close();

    expect(answered).toBe(managementCalls);
    expect(uncaught).toEqual([]);
    expect(rheaComplaints()).toEqual([]);
  });
});
