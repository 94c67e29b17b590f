import { ServiceBusClient } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_WINDOW_MS, type PoolSignal } from '../../src/queue/pool-signal';
import { createSignalQueue } from '../../src/queue/signal-queue';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../emulators/service-bus/service-bus-emulator';
import { ManualClock } from '../helpers/manual-clock';

// The real Service Bus SDK against the emulator: scheduled messages and duplicate detection do
// the coalescing, nothing of ours in between. The queues and Service Bus read one clock that
// stands still until a test moves it: a signal window ends when the test says so.
let emulator: ServiceBusEmulator;
let client: ServiceBusClient;
const ORG = 'https://dev.azure.com/contoso';
const clock = new ManualClock();

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ queues: [{ name: 'signals', duplicateDetectionWindowMs: 600_000 }], now: clock.now });
  client = new ServiceBusClient(emulator.connectionString);
});
afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

const signal = (pool: string, reason: PoolSignal['reason'] = 'event'): PoolSignal => ({
  version: 2,
  orgUrl: ORG,
  pool,
  reason,
  observedAt: new Date().toISOString(),
});

/**
 * Receives until `expected` signals came (or `ms` passed), then looks once more for any other:
 * the clock stands still, so nothing scheduled falls due meanwhile, and what is receivable now
 * comes within that look.
 */
async function receiveAll(expected: number, ms = 5_000): Promise<PoolSignal[]> {
  const receiver = client.createReceiver('signals', { receiveMode: 'receiveAndDelete' });
  const got: PoolSignal[] = [];
  const deadline = Date.now() + ms;
  const receive = async () => {
    for (const m of await receiver.receiveMessages(10, { maxWaitTimeInMs: 300 })) got.push(m.body as PoolSignal);
  };
  try {
    while (got.length < expected && Date.now() < deadline) await receive();
    await receive();
  } finally {
    await receiver.close();
  }
  return got;
}

describe('signal queue', () => {
  it('turns a burst of signals from two instances into one immediate look per instance and one message per pool after the window', async () => {
    const [sender, otherSender] = [client.createSender('signals'), client.createSender('signals')];
    // All in one window whatever the sending takes: the clock stands still at the start of a
    // window (a burst that straddles two windows costs two passes, by design).
    clock.advance((SIGNAL_WINDOW_MS - (clock.now() % SIGNAL_WINDOW_MS)) % SIGNAL_WINDOW_MS);
    // Two Functions instances: each collapses its own burst, duplicate detection the two.
    const queue = createSignalQueue(sender, clock.now);
    const other = createSignalQueue(otherSender, clock.now);
    const sent = clock.now();
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? queue : other).signal([signal('linux')])));
    const linux = () =>
      emulator
        .queue('signals')
        .accepted()
        .filter((m) => (m.body as PoolSignal).pool === 'linux');
    // Each instance's first signal for the quiet pool goes at once; the other 48 are one message.
    expect(linux().filter((m) => !m.scheduledEnqueueTimeUtc)).toHaveLength(2);
    expect(linux().filter((m) => m.scheduledEnqueueTimeUtc)).toHaveLength(1);
    await queue.signal([signal('dotnet'), signal('linux', 'timer')]);
    const atOnce = await receiveAll(3);
    expect(atOnce.map((s) => s.pool).sort()).toEqual(['dotnet', 'linux', 'linux']);
    clock.advance(SIGNAL_WINDOW_MS); // the window ends
    const afterWindow = await receiveAll(1);
    await Promise.all([sender.close(), otherSender.close()]);
    expect(afterWindow.map((s) => s.pool)).toEqual(['linux']);
    expect(
      linux()
        .filter((m) => m.scheduledEnqueueTimeUtc)
        .every((m) => m.scheduledEnqueueTimeUtc!.getTime() > sent),
    ).toBe(true);
  });

  it('holds signals for a pool signalled within the last window until that window ends', async () => {
    const sender = client.createSender('signals');
    const queue = createSignalQueue(sender, clock.now);
    await queue.signal([signal('quiet')]);
    clock.advance(SIGNAL_WINDOW_MS + 1); // a whole window without a signal: the next one is a first again
    await queue.signal([signal('quiet')]);
    clock.advance(SIGNAL_WINDOW_MS - 1);
    await queue.signal([signal('quiet')]);
    await sender.close();
    expect(await receiveAll(2)).toHaveLength(2);
    clock.advance(SIGNAL_WINDOW_MS); // the third one's window ends
    expect(await receiveAll(1)).toHaveLength(1);
    const quiet = emulator
      .queue('signals')
      .accepted()
      .filter((m) => (m.body as PoolSignal).pool === 'quiet');
    expect(quiet.map((m) => m.scheduledEnqueueTimeUtc === undefined)).toEqual([true, true, false]);
  });

  it('delivers a pass the scheduler asks for at its time, not before', async () => {
    const sender = client.createSender('signals');
    const at = new Date(clock.now() + 1_500);
    await createSignalQueue(sender, clock.now).signal([signal('linux', 'scheduled')], at);
    expect(await receiveAll(0)).toEqual([]);
    clock.advance(1_000); // still before it
    expect(await receiveAll(0)).toEqual([]);
    clock.advance(1_000); // past it, and the end of its window
    const [later] = await receiveAll(1);
    await sender.close();
    expect(later).toMatchObject({ pool: 'linux', reason: 'scheduled' });
    expect(emulator.queue('signals').accepted().at(-1)?.scheduledEnqueueTimeUtc?.getTime()).toBeGreaterThanOrEqual(at.getTime());
  });
});
