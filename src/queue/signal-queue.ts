import type { ServiceBusSender } from '@azure/service-bus';
import { orgKeyOf } from '../config/org-url';
import { ScalerError } from '../errors/scaler-error';
import { signalDelivery, type PoolSignal } from './pool-signal';

export interface SignalQueue {
  /**
   * Schedules each signal for the end of its pool's current window (or for `at`, a later pass the
   * scheduler asks for); signals of one pool and window collapse into one message. Rejects with a
   * transient ScalerError when Service Bus cannot be reached.
   */
  signal(signals: readonly PoolSignal[], at?: Date): Promise<void>;
}

export function createSignalQueue(sender: ServiceBusSender, now: () => number = Date.now): SignalQueue {
  return {
    async signal(signals, at) {
      if (signals.length === 0) return;
      const when = Math.max(at?.getTime() ?? 0, now());
      const byId = new Map<string, { deliverAt: Date; body: PoolSignal }>();
      for (const s of signals) {
        const { messageId, deliverAt } = signalDelivery(orgKeyOf(s.orgUrl) ?? s.orgUrl, s.pool, when);
        if (!byId.has(messageId)) byId.set(messageId, { deliverAt, body: s });
      }
      try {
        await Promise.all(
          [...byId].map(([messageId, { deliverAt, body }]) =>
            sender.scheduleMessages({ messageId, body, contentType: 'application/json', subject: `look/${body.reason}` }, deliverAt),
          ),
        );
      } catch (e) {
        throw new ScalerError('transient', `the signal queue could not be reached: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    },
  };
}
