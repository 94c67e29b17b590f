import { randomBytes } from 'node:crypto';
import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { orgKeyOf } from '../config/org-url';
import { errorMessage } from '../errors/error-message';
import { ScalerError } from '../errors/scaler-error';
import { systemClock, type Clock } from '../time/clock';
import { leadMessageId, signalDelivery, SIGNAL_WINDOW_MS, type PoolSignal } from './pool-signal';

export interface SignalQueue {
  /**
   * Asks for a pass of each signal's pool: at once when this instance has not signalled the pool
   * within the last window, otherwise at the end of the pool's current window (or of the window
   * of `at`, a later pass the scheduler asks for), where signals of one pool collapse into one
   * message. Rejects with a transient ScalerError when Service Bus cannot be reached.
   */
  signal(signals: readonly PoolSignal[], at?: Date): Promise<void>;
}

/**
 * Signals go out as one send of messages (not one schedule request each), and a signal this
 * process already sent for the same pool and window waits for that send instead of sending
 * again: a burst of 200 deliveries to one instance costs one Service Bus call per pool, and
 * duplicate detection collapses what other instances send. A quiet pool's first signal is not
 * held for the window: one job arriving at an idle pool is looked at without the window's delay,
 * while a burst still costs one pass per window after its first.
 */
export function createSignalQueue(sender: ServiceBusSender, now: Clock = systemClock, instance = randomBytes(4).toString('hex')): SignalQueue {
  const sent = new Map<string, { readonly until: number; readonly done: Promise<void> }>();
  const lastSignalled = new Map<string, number>();
  return {
    async signal(signals, at) {
      const t = now();
      for (const [id, s] of sent) if (s.until <= t) sent.delete(id);
      for (const [scope, last] of lastSignalled) if (last <= t - SIGNAL_WINDOW_MS) lastSignalled.delete(scope);
      const later = at !== undefined && at.getTime() > t;
      const when = later ? at.getTime() : t;
      const waits: Array<Promise<void>> = [];
      const fresh = new Map<string, { scope: string; message: ServiceBusMessage }>();
      for (const s of signals) {
        const { scope, messageId, deliverAt } = signalDelivery(orgKeyOf(s.orgUrl) ?? s.orgUrl, s.pool, when);
        const lead = !later && !lastSignalled.has(scope);
        const id = lead ? leadMessageId(scope, t, instance) : messageId;
        const earlier = sent.get(id);
        if (earlier) waits.push(earlier.done);
        else if (!fresh.has(id)) {
          fresh.set(id, {
            scope,
            message: {
              messageId: id,
              body: s,
              contentType: 'application/json',
              subject: `look/${s.reason}`,
              ...(lead ? {} : { scheduledEnqueueTimeUtc: deliverAt }),
            },
          });
        }
        if (!later) lastSignalled.set(scope, t);
      }
      if (fresh.size > 0) {
        const done = sender.sendMessages([...fresh.values()].map((f) => f.message)).catch((e: unknown) => {
          // Forgotten, so the next signal for these pools sends again (at once, if quiet).
          for (const [id, { scope }] of fresh) {
            sent.delete(id);
            lastSignalled.delete(scope);
          }
          throw new ScalerError('transient', `the signal queue could not be reached: ${errorMessage(e)}`, { cause: e });
        });
        for (const [id, { message }] of fresh) sent.set(id, { until: message.scheduledEnqueueTimeUtc?.getTime() ?? t + SIGNAL_WINDOW_MS, done });
        waits.push(done);
      }
      await Promise.all(waits);
    },
  };
}
