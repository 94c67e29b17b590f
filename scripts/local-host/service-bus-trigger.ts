import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { triggerOf, type Registration } from './functions-core-shim';
import { invocationContext, type LogSink } from './invocation';

/**
 * Feeds queue-triggered functions from Service Bus the way the host's extension does with
 * autoCompleteMessages: complete when the handler resolves, abandon when it throws (the message
 * comes back and, past max delivery count, goes to the dead-letter queue).
 */
export function receiveServiceBusFunctions(
  registrations: readonly Registration[],
  log: LogSink,
  env: NodeJS.ProcessEnv = process.env,
  maxConcurrentCalls = 16,
): { close(): Promise<void> } {
  const clients: ServiceBusClient[] = [];
  for (const r of registrations.filter((x) => triggerOf(x).type === 'serviceBusTrigger')) {
    const trigger = triggerOf(r);
    const setting = (trigger.connection as string | undefined) ?? 'AzureWebJobsServiceBus';
    const connectionString = env[setting];
    if (!connectionString) {
      log('error', r.name, `app setting ${setting} is not set; the local host needs a Service Bus connection string`);
      continue;
    }
    const client = new ServiceBusClient(connectionString);
    clients.push(client);
    const receiver = client.createReceiver(trigger.queueName as string);
    receiver.subscribe(
      {
        processMessage: async (message: ServiceBusReceivedMessage) => {
          const context = invocationContext(r.name, log, {
            messageId: message.messageId,
            // The SDK counts from 0; the Functions host reports 1 on the first delivery.
            deliveryCount: (message.deliveryCount ?? 0) + 1,
            enqueuedTimeUtc: message.enqueuedTimeUtc,
            sequenceNumber: message.sequenceNumber,
            applicationProperties: message.applicationProperties,
          });
          await r.handler(message.body, context);
        },
        processError: async (args) => {
          log('warning', r.name, `receiver: ${args.error.message}`);
          return Promise.resolve();
        },
      },
      { autoCompleteMessages: true, maxConcurrentCalls },
    );
  }
  return {
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
