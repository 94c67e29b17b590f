import { app, type InvocationContext } from '@azure/functions';
import { SERVICE_BUS_CONNECTION, SIGNAL_QUEUE } from '../src/config/load-settings';
import { dependencies } from '../src/runtime/dependencies';

/**
 * "Pool P needs a look" → at most one pass of that pool at a time, however many signals came.
 * Completing the message is the host's job (autoComplete); a body that can never be read is
 * thrown back until Service Bus dead-letters it after maxDeliveryCount (the Node worker cannot
 * dead-letter directly). A failing pass is not thrown: the pool backs off and schedules its
 * own next pass.
 */
export async function scheduler(message: unknown, context: InvocationContext): Promise<void> {
  const deps = dependencies();
  const { handleSignal } = await import('../src/scheduler/handle-signal.js');
  const outcome = await handleSignal(message, { ...(await deps.scheduler()), log: context });
  if (outcome.kind === 'poison') {
    const metadata = context.triggerMetadata ?? {};
    if (Number(metadata.deliveryCount ?? 1) <= 1) deps.counters.increment('deadLettered');
    context.error(`scheduler: message ${String(metadata.messageId)} can never be read and goes to the dead-letter queue: ${outcome.reason}`);
    throw new Error(outcome.reason);
  }
  if (outcome.kind === 'ignored') context.info(`scheduler: ${outcome.reason}`);
}

app.serviceBusQueue('scheduler', { connection: SERVICE_BUS_CONNECTION, queueName: SIGNAL_QUEUE, handler: scheduler });
