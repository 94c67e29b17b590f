import type { ServiceBusSender } from '@azure/service-bus';
import { ScalerError } from '../errors/scaler-error';
import { orgKeyOf } from '../config/org-url';
import { demandMessageId, type DemandMessage } from './demand-message';

export interface DemandQueue {
  /** Resolves once Service Bus has accepted every demand; rejects with a transient ScalerError otherwise. */
  enqueue(demands: readonly DemandMessage[]): Promise<void>;
}

export function createDemandQueue(sender: ServiceBusSender): DemandQueue {
  return {
    async enqueue(demands) {
      if (demands.length === 0) return;
      try {
        let batch = await sender.createMessageBatch();
        for (const demand of demands) {
          const message = {
            messageId: demandMessageId(orgKeyOf(demand.orgUrl) ?? demand.orgUrl, demand.jobId),
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
      } catch (e) {
        throw new ScalerError('transient', `the demand queue could not be reached: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    },
  };
}
