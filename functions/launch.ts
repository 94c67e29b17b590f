import { app, type InvocationContext } from '@azure/functions';
import { DEMAND_QUEUE, SERVICE_BUS_CONNECTION } from '../src/config/load-settings';
import { parseDemandMessage } from '../src/queue/demand-message';
import { ATTEMPT_PROPERTY } from '../src/queue/demand-queue';
import { dependencies } from '../src/runtime/dependencies';

/**
 * Demand → at most one agent. Completing the message is the host's job (autoComplete); a retry
 * is a new scheduled message, and a message that can never succeed is thrown back until Service
 * Bus dead-letters it after maxDeliveryCount (the Node worker cannot dead-letter directly).
 */
export async function launch(message: unknown, context: InvocationContext): Promise<void> {
  const deps = dependencies();
  const metadata = context.triggerMetadata ?? {};
  const attempt = Number((metadata.applicationProperties as Record<string, unknown> | undefined)?.[ATTEMPT_PROPERTY] ?? 0) || 0;
  const { launchDemand } = await import('../src/launch/launch-demand.js');
  const outcome = await launchDemand(message, attempt, { ...(await deps.launch()), log: context });
  switch (outcome.kind) {
    case 'retry': {
      const parsed = parseDemandMessage(message);
      if (parsed.ok) await deps.queue.retryLater({ ...parsed.demand, ...outcome.resolved }, attempt + 1, outcome.delayMs);
      context.info(`launch: retry in ${Math.round(outcome.delayMs / 1000)} s (attempt ${attempt + 1}): ${outcome.reason}`);
      return;
    }
    case 'poison':
      if (Number(metadata.deliveryCount ?? 1) <= 1) deps.counters.increment('deadLettered');
      context.error(`launch: message ${String(metadata.messageId)} can never succeed and goes to the dead-letter queue: ${outcome.reason}`);
      throw new Error(outcome.reason);
    default:
      return;
  }
}

app.serviceBusQueue('launch', { connection: SERVICE_BUS_CONNECTION, queueName: DEMAND_QUEUE, handler: launch });
