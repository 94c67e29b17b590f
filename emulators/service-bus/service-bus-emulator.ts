import { AmqpServer } from './amqp-server';
import { Broker } from './broker';
import { DeliveryPump } from './delivery-pump';
import type { ServiceBusEmulator, ServiceBusEmulatorOptions } from './types';

export type { EmulatedQueueOptions, InspectedMessage, QueueInspector, ServiceBusEmulator, ServiceBusEmulatorOptions } from './types';

/**
 * How often time-driven changes (scheduled messages coming due, locks expiring) are applied.
 * Polling rather than one timer per deadline keeps an injected clock in charge of time.
 */
const advanceIntervalMs = 20;

/** Starts an AMQP 1.0 endpoint that `@azure/service-bus` reaches with UseDevelopmentEmulator=true. */
export async function startServiceBusEmulator(options: ServiceBusEmulatorOptions): Promise<ServiceBusEmulator> {
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  // The namespace URI is only used in error messages, so a placeholder port is fine until listen.
  let namespaceUri = `sb://${host}/`;
  const broker = new Broker(options.queues, now, () => namespaceUri);
  const pump = new DeliveryPump(now);
  const server = new AmqpServer(broker, pump);
  const port = await server.listen(options.port ?? 0, host);
  namespaceUri = `sb://${host}:${port}/`;

  const timer = setInterval(() => {
    if (broker.advance()) pump.request();
  }, advanceIntervalMs);
  timer.unref();

  return {
    port,
    connectionString: `Endpoint=sb://${host}:${port};SharedAccessKeyName=RootManageSharedAccessKey;` + 'SharedAccessKey=emulator;UseDevelopmentEmulator=true',
    queue: (name) => broker.inspector(name),
    setAvailable: (available) => server.setAvailable(available),
    close: async () => {
      clearInterval(timer);
      pump.stop();
      await server.close();
    },
  };
}
