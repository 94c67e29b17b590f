import type { ServiceBusSender } from '@azure/service-bus';
import { orgKeyOf } from '../config/org-url';
import { ScalerError } from '../errors/scaler-error';
import { signalDelivery, type PoolSignal } from './pool-signal';

export interface SignalQueue {
  /**
   * Schedules each signal for the end of its pool's current window (or of the window of `at`, a
   * later pass the scheduler asks for); signals of one pool and window collapse into one message.
   * Rejects with a transient ScalerError when Service Bus cannot be reached.
   */
  signal(signals: readonly PoolSignal[], at?: Date): Promise<void>;
}

/**
 * Signals go out as one send of messages carrying their scheduled enqueue time (not one
 * schedule request each), and a signal this process already sent for the same pool and window
 * waits for that send instead of sending again: a burst of 200 deliveries to one instance costs
 * one Service Bus call per pool, and duplicate detection collapses what other instances send.
 */
export function createSignalQueue(sender: ServiceBusSender, now: () => number = Date.now): SignalQueue {
  const sent = new Map<string, { readonly until: number; readonly done: Promise<void> }>();
  return {
    async signal(signals, at) {
      const t = now();
      for (const [id, s] of sent) if (s.until <= t) sent.delete(id);
      const when = Math.max(at?.getTime() ?? 0, t);
      const waits: Array<Promise<void>> = [];
      const fresh = new Map<string, { deliverAt: Date; body: PoolSignal }>();
      for (const s of signals) {
        const { messageId, deliverAt } = signalDelivery(orgKeyOf(s.orgUrl) ?? s.orgUrl, s.pool, when);
        const earlier = sent.get(messageId);
        if (earlier) waits.push(earlier.done);
        else if (!fresh.has(messageId)) fresh.set(messageId, { deliverAt, body: s });
      }
      if (fresh.size > 0) {
        const messages = [...fresh].map(([messageId, { deliverAt, body }]) => ({ messageId, body, contentType: 'application/json', subject: `look/${body.reason}`, scheduledEnqueueTimeUtc: deliverAt }));
        const done = sender.sendMessages(messages).catch((e: unknown) => {
          // Forgotten, so the next signal for these windows sends again.
          for (const id of fresh.keys()) sent.delete(id);
          throw new ScalerError('transient', `the signal queue could not be reached: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        });
        for (const [id, { deliverAt }] of fresh) sent.set(id, { until: deliverAt.getTime(), done });
        waits.push(done);
      }
      await Promise.all(waits);
    },
  };
}
