import type { ServiceBusSender } from '@azure/service-bus';
import { ScalerError } from '../errors/scaler-error';
import { orgKeyOf } from '../config/org-url';
import { demandMessageId, type DemandMessage } from './demand-message';

export interface DemandQueue {
  /**
   * Resolves with the messageIds once Service Bus has accepted every demand; rejects with a
   * transient ScalerError otherwise.
   */
  enqueue(demands: readonly DemandMessage[]): Promise<string[]>;
  /**
   * Puts a demand back for a later try. Its own messageId (the original's plus the attempt), so
   * duplicate detection does not drop it as the demand it retries.
   */
  retryLater(demand: DemandMessage, attempt: number, delayMs: number): Promise<void>;
}

/** Application property carrying how many times a demand has been tried. */
export const ATTEMPT_PROPERTY = 'attempt';

/** `periodSeconds`: the reconcile interval, the span within which duplicates collapse (see demandMessageId). */
export function createDemandQueue(sender: ServiceBusSender, periodSeconds: number): DemandQueue {
  const idOf = (demand: DemandMessage) => demandMessageId(orgKeyOf(demand.orgUrl) ?? demand.orgUrl, demand.jobId, demand.observedAt, periodSeconds);
  return {
    async enqueue(demands) {
      if (demands.length === 0) return [];
      try {
        let batch = await sender.createMessageBatch();
        for (const demand of demands) {
          const message = {
            messageId: idOf(demand),
            body: demand,
            contentType: 'application/json',
            subject: `demand/${demand.source}`,
          };
          if (!batch.tryAddMessage(message)) {
            await sender.sendMessages(batch);
            batch = await sender.createMessageBatch();
            if (!batch.tryAddMessage(message)) throw new Error('a demand message does not fit an empty batch');
          }
        }
        await sender.sendMessages(batch);
        return demands.map(idOf);
      } catch (e) {
        throw unreachable(e);
      }
    },
    async retryLater(demand, attempt, delayMs) {
      const id = idOf(demand);
      try {
        await sender.scheduleMessages(
          { messageId: `${id}-r${attempt}`, body: demand, contentType: 'application/json', subject: `demand/retry`, applicationProperties: { [ATTEMPT_PROPERTY]: attempt } },
          new Date(Date.now() + delayMs),
        );
      } catch (e) {
        throw unreachable(e);
      }
    },
  };
}

function unreachable(e: unknown): ScalerError {
  return new ScalerError('transient', `the demand queue could not be reached: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
