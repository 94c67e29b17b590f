import { ServiceBusClient } from '@azure/service-bus';
import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceBusEmulator } from './service-bus-emulator';
import type { ServiceBusEmulator } from './service-bus-emulator';

let emulator: ServiceBusEmulator;
let client: ServiceBusClient;
/** The broker runs on an injected clock: real time plus whatever a test jumps ahead. */
let clockOffsetMs = 0;
const brokerNow = (): number => Date.now() + clockOffsetMs;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({
    queues: [
      { name: 'basic' },
      { name: 'abandon' },
      { name: 'poison', maxDeliveryCount: 2 },
      { name: 'explicit-dead-letter' },
      { name: 'short-lock', lockDurationMs: 400 },
      { name: 'renew', lockDurationMs: 1_000 },
      { name: 'scheduled' },
      { name: 'cancel' },
      { name: 'dedup' },
      { name: 'no-dedup', duplicateDetectionWindowMs: 0 },
      { name: 'peek' },
      { name: 'defer' },
      { name: 'outage' },
      { name: 'streaming' },
      { name: 'clocked', duplicateDetectionWindowMs: 60_000 },
    ],
    now: brokerNow,
  });
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

async function send(queue: string, ...messages: Array<{ body: unknown; messageId?: string }>): Promise<void> {
  const sender = client.createSender(queue);
  await sender.sendMessages(messages);
  await sender.close();
}

/** Receives until `count` messages arrived or the deadline passed. */
async function receive(receiver: ServiceBusReceiver, count: number, deadlineMs = 3_000): Promise<ServiceBusReceivedMessage[]> {
  const received: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + deadlineMs;
  while (received.length < count && Date.now() < deadline) {
    const batch = await receiver.receiveMessages(count - received.length, {
      maxWaitTimeInMs: Math.max(50, Math.min(500, deadline - Date.now())),
    });
    received.push(...batch);
  }
  return received;
}

async function receiveOne(receiver: ServiceBusReceiver, deadlineMs?: number): Promise<ServiceBusReceivedMessage> {
  const [message] = await receive(receiver, 1, deadlineMs);
  if (!message) throw new Error('no message arrived before the deadline');
  return message;
}

function bodies(messages: Array<{ body: unknown }>): unknown[] {
  return messages.map((message): unknown => message.body);
}

async function pollUntil(condition: () => boolean, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Service Bus emulator over AMQP with the real ServiceBusClient', () => {
  it('sends, receives with a peek lock and completes', async () => {
    await send('basic', { body: { job: 1 }, messageId: 'basic-1' });
    const receiver = client.createReceiver('basic');
    const message = await receiveOne(receiver);
    expect(message.body).toEqual({ job: 1 });
    expect(message.messageId).toBe('basic-1');
    expect(message.deliveryCount).toBe(0);
    expect(message.sequenceNumber?.toNumber()).toBeGreaterThan(0);
    expect(message.lockedUntilUtc?.getTime()).toBeGreaterThan(brokerNow());
    expect(emulator.queue('basic').locked()).toHaveLength(1);
    await receiver.completeMessage(message);
    expect(emulator.queue('basic').locked()).toHaveLength(0);
    expect(emulator.queue('basic').active()).toHaveLength(0);
    await receiver.close();
  });

  it('sends an array as one batch and keeps the order', async () => {
    await send('basic', { body: 'a' }, { body: 'b' }, { body: 'c' });
    expect(bodies(emulator.queue('basic').active())).toEqual(['a', 'b', 'c']);
    const receiver = client.createReceiver('basic', { receiveMode: 'receiveAndDelete' });
    expect(bodies(await receive(receiver, 3))).toEqual(['a', 'b', 'c']);
    await receiver.close();
  });

  it('feeds a subscribed (streaming) receiver as messages arrive', async () => {
    const receiver = client.createReceiver('streaming');
    const bodies: unknown[] = [];
    const subscription = receiver.subscribe({
      processMessage: async (message) => {
        bodies.push(message.body);
        await Promise.resolve();
      },
      processError: async () => {},
    });
    await send('streaming', { body: 's1' });
    await send('streaming', { body: 's2' });
    await pollUntil(() => bodies.length === 2 && emulator.queue('streaming').locked().length === 0);
    expect(bodies).toEqual(['s1', 's2']);
    expect(emulator.queue('streaming').active()).toHaveLength(0);
    await subscription.close();
    await receiver.close();
  });

  it('redelivers an abandoned message with its delivery count raised (the SDK counts from 0)', async () => {
    await send('abandon', { body: 'retry me', messageId: 'abandon-1' });
    const receiver = client.createReceiver('abandon');
    const first = await receiveOne(receiver);
    expect(first.deliveryCount).toBe(0);
    await receiver.abandonMessage(first);
    const second = await receiveOne(receiver);
    expect(second.messageId).toBe('abandon-1');
    expect(second.deliveryCount).toBe(1);
    await receiver.completeMessage(second);
    await receiver.close();
  });

  it('dead-letters after maxDeliveryCount deliveries, readable as the dead-letter sub-queue', async () => {
    await send('poison', { body: 'poison', messageId: 'poison-1' });
    const receiver = client.createReceiver('poison');
    await receiver.abandonMessage(await receiveOne(receiver));
    await receiver.abandonMessage(await receiveOne(receiver));
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toHaveLength(0);
    expect(emulator.queue('poison').deadLettered()).toMatchObject([{ messageId: 'poison-1', deadLetterReason: 'MaxDeliveryCountExceeded' }]);

    const deadLetters = client.createReceiver('poison', { subQueueType: 'deadLetter' });
    const dead = await receiveOne(deadLetters);
    expect(dead.messageId).toBe('poison-1');
    expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dead.deadLetterSource).toBe('poison');
    await deadLetters.completeMessage(dead);
    expect(emulator.queue('poison').deadLettered()).toHaveLength(0);
    await Promise.all([receiver.close(), deadLetters.close()]);
  });

  it('dead-letters explicitly with reason and description', async () => {
    await send('explicit-dead-letter', { body: 'bad', messageId: 'bad-1' });
    const receiver = client.createReceiver('explicit-dead-letter');
    await receiver.deadLetterMessage(await receiveOne(receiver), {
      deadLetterReason: 'UnknownPool',
      deadLetterErrorDescription: 'pool "linux" is not managed',
    });
    expect(emulator.queue('explicit-dead-letter').deadLettered()).toMatchObject([
      { messageId: 'bad-1', deadLetterReason: 'UnknownPool', deadLetterErrorDescription: 'pool "linux" is not managed' },
    ]);
    const deadLetters = client.createReceiver('explicit-dead-letter', { subQueueType: 'deadLetter' });
    const dead = await receiveOne(deadLetters);
    expect(dead.deadLetterReason).toBe('UnknownPool');
    expect(dead.deadLetterErrorDescription).toBe('pool "linux" is not managed');
    await Promise.all([receiver.close(), deadLetters.close()]);
  });

  it('returns a message whose lock expired and refuses to settle with the lost lock', async () => {
    await send('short-lock', { body: 'slow', messageId: 'slow-1' });
    // The SDK renews locks on its own unless told not to.
    const receiver = client.createReceiver('short-lock', { maxAutoLockRenewalDurationInMs: 0 });
    const first = await receiveOne(receiver);
    await pollUntil(() => emulator.queue('short-lock').active().length === 1);
    const again = await receiveOne(receiver);
    expect(again.messageId).toBe('slow-1');
    expect(again.deliveryCount).toBe(1);
    await expect(receiver.completeMessage(first)).rejects.toMatchObject({ code: 'MessageLockLost' });
    await receiver.completeMessage(again);
    await receiver.close();
  });

  it('extends a lock through renewMessageLock on $management', async () => {
    await send('renew', { body: 'long job', messageId: 'renew-1' });
    const receiver = client.createReceiver('renew', { maxAutoLockRenewalDurationInMs: 0 });
    const message = await receiveOne(receiver);
    const before = message.lockedUntilUtc?.getTime() ?? 0;
    await pollUntil(() => brokerNow() > before - 500);
    const renewed = await receiver.renewMessageLock(message);
    expect(renewed.getTime()).toBeGreaterThan(before);
    await pollUntil(() => brokerNow() > before + 200);
    expect(emulator.queue('renew').locked()).toHaveLength(1);
    await receiver.completeMessage(message);
    await receiver.close();
  });

  it('holds a scheduled message back until its time', async () => {
    const sender = client.createSender('scheduled');
    const at = new Date(brokerNow() + 1_000);
    const [sequenceNumber] = await sender.scheduleMessages({ body: 'later', messageId: 'later-1' }, at);
    await sender.sendMessages({ body: 'also later', scheduledEnqueueTimeUtc: at });
    expect(sequenceNumber?.toNumber()).toBeGreaterThan(0);
    expect(emulator.queue('scheduled').scheduled()).toHaveLength(2);
    const receiver = client.createReceiver('scheduled', { receiveMode: 'receiveAndDelete' });
    expect(await receiver.receiveMessages(2, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    const received = await receive(receiver, 2, 4_000);
    expect(brokerNow()).toBeGreaterThanOrEqual(at.getTime());
    expect(bodies(received).sort()).toEqual(['also later', 'later']);
    await Promise.all([sender.close(), receiver.close()]);
  });

  it('cancels a scheduled message', async () => {
    const sender = client.createSender('cancel');
    const [sequenceNumber] = await sender.scheduleMessages({ body: 'never' }, new Date(brokerNow() + 60_000));
    expect(emulator.queue('cancel').scheduled()).toHaveLength(1);
    if (!sequenceNumber) throw new Error('scheduleMessages returned no sequence number');
    await sender.cancelScheduledMessages(sequenceNumber);
    expect(emulator.queue('cancel').scheduled()).toHaveLength(0);
    await sender.close();
  });

  it('drops a duplicate messageId within the window and keeps distinct ones', async () => {
    await send('dedup', { body: 'first', messageId: 'job-42' });
    await send('dedup', { body: 'second', messageId: 'job-42' });
    await send('dedup', { body: 'other', messageId: 'job-43' });
    expect(bodies(emulator.queue('dedup').active())).toEqual(['first', 'other']);
    const receiver = client.createReceiver('dedup', { receiveMode: 'receiveAndDelete' });
    expect(bodies(await receive(receiver, 2))).toEqual(['first', 'other']);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toHaveLength(0);
    await send('no-dedup', { body: 1, messageId: 'same' }, { body: 2, messageId: 'same' });
    expect(emulator.queue('no-dedup').active()).toHaveLength(2);
    await receiver.close();
  });

  it('lets the injected clock drive schedules and the duplicate window', async () => {
    const sender = client.createSender('clocked');
    await sender.scheduleMessages({ body: 'in an hour' }, new Date(brokerNow() + 3_600_000));
    await sender.sendMessages({ body: 'once', messageId: 'clocked-1' });
    await sender.sendMessages({ body: 'twice', messageId: 'clocked-1' });
    expect(bodies(emulator.queue('clocked').active())).toEqual(['once']);

    clockOffsetMs += 3_600_000 + 1_000;
    await pollUntil(() => emulator.queue('clocked').scheduled().length === 0);
    await sender.sendMessages({ body: 'again', messageId: 'clocked-1' });
    expect(bodies(emulator.queue('clocked').active())).toEqual(['once', 'in an hour', 'again']);
    await sender.close();
  });

  it('peeks without locking, in sequence order', async () => {
    await send('peek', { body: 'p1' }, { body: 'p2' });
    const receiver = client.createReceiver('peek');
    const peeked = await receiver.peekMessages(5);
    expect(bodies(peeked)).toEqual(['p1', 'p2']);
    expect(emulator.queue('peek').active()).toHaveLength(2);
    await receiver.close();
  });

  it('defers a message and settles it after receiving it by sequence number', async () => {
    await send('defer', { body: 'deferred', messageId: 'defer-1' });
    const receiver = client.createReceiver('defer');
    const message = await receiveOne(receiver);
    await receiver.deferMessage(message);
    expect(emulator.queue('defer').deferred()).toHaveLength(1);
    const [again] = await receiver.receiveDeferredMessages(message.sequenceNumber ?? []);
    expect(again?.messageId).toBe('defer-1');
    if (!again) throw new Error('deferred message not returned');
    await receiver.completeMessage(again);
    expect(emulator.queue('defer').deferred()).toHaveLength(0);
    await receiver.close();
  });

  it('fails sends fast while unavailable and accepts them again afterwards', async () => {
    const retryOptions = { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 3_000 };
    const outageClient = new ServiceBusClient(emulator.connectionString, { retryOptions });
    const sender = outageClient.createSender('outage');
    await sender.sendMessages({ body: 'before' });
    emulator.setAvailable(false);
    const started = Date.now();
    await expect(sender.sendMessages({ body: 'during' })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await outageClient.close();

    emulator.setAvailable(true);
    const recovered = new ServiceBusClient(emulator.connectionString, { retryOptions });
    const newSender = recovered.createSender('outage');
    await newSender.sendMessages({ body: 'after' });
    expect(bodies(emulator.queue('outage').active())).toEqual(['before', 'after']);
    await recovered.close();
  });

  it('reports an unknown queue as MessagingEntityNotFound', async () => {
    const sender = client.createSender('no-such-queue');
    await expect(sender.sendMessages({ body: 'lost' })).rejects.toMatchObject({ code: 'MessagingEntityNotFound' });
    const receiver = client.createReceiver('no-such-queue');
    await expect(receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).rejects.toMatchObject({
      code: 'MessagingEntityNotFound',
    });
    await Promise.all([sender.close(), receiver.close()]);
  });
});
