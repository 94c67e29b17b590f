import { ServiceBusClient } from '@azure/service-bus';
import type { TokenCredential } from '@azure/identity';
import type { ServiceBusSettings } from '../config/load-settings';

// Short retries: the webhook must answer ADO quickly, with a 503 it will retry on.
const retryOptions = { maxRetries: 2, retryDelayInMs: 200, timeoutInMs: 5_000 };

export function serviceBusClient(settings: ServiceBusSettings, credential: () => Promise<TokenCredential>): Promise<ServiceBusClient> | ServiceBusClient {
  if ('connectionString' in settings) return new ServiceBusClient(settings.connectionString, { retryOptions });
  return credential().then((c) => new ServiceBusClient(settings.fullyQualifiedNamespace, c, { retryOptions }));
}
