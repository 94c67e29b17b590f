import type { TokenCredential } from '@azure/identity';
import type { ServiceBusClient } from '@azure/service-bus';
import type { AdoClient } from '../ado/ado-client';
import type { AdoCredential } from '../ado/ado-credential';
import type { OrgUrl } from '../config/org-url';
import { DEMAND_QUEUE, loadSettings, type Settings } from '../config/load-settings';
import type { AuthConfig } from '../config/schema';
import { createDemandQueue, type DemandQueue } from '../queue/demand-queue';
import { Counters } from '../status/counters';
import type { PatStore } from '../secrets/pat-store';

/**
 * Everything the functions share within one process, built once and lazily: clients are
 * created on first use, and modules that only some functions need (ADO, identity, Key Vault)
 * are loaded on first use too, to keep each function's cold start small.
 */
export interface Dependencies {
  readonly settings: Settings;
  readonly counters: Counters;
  readonly organizations: readonly OrgUrl[];
  readonly queue: DemandQueue;
  ado(orgUrl: string): Promise<AdoClient>;
  close(): Promise<void>;
}

let current: Dependencies | undefined;

/** The process's dependencies; throws the ConfigError listing every problem if settings are wrong. */
export function dependencies(): Dependencies {
  // The one place that reads the process environment (STYLE.md).
  current ??= createDependencies(loadSettings(process.env));
  return current;
}

/** For the local host and tests that change settings between runs. */
export async function resetDependencies(): Promise<void> {
  const old = current;
  current = undefined;
  await old?.close();
}

export function createDependencies(settings: Settings): Dependencies {
  const counters = new Counters();
  let serviceBus: Promise<ServiceBusClient> | undefined;
  let azureCredential: Promise<TokenCredential> | undefined;
  let patStore: Promise<PatStore> | undefined;
  const adoClients = new Map<string, Promise<AdoClient>>();

  const credential = (clientId = settings.azureClientId) => {
    const make = async () => {
      const identity = await import('@azure/identity');
      return clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.DefaultAzureCredential();
    };
    if (clientId !== settings.azureClientId) return make();
    azureCredential ??= make();
    return azureCredential;
  };

  const client = () => {
    serviceBus ??= (async () => {
      const { ServiceBusClient } = await import('@azure/service-bus');
      // Short retries: the webhook must answer ADO quickly, with a 503 it will retry on.
      const retryOptions = { maxRetries: 2, retryDelayInMs: 200, timeoutInMs: 5_000 };
      const sb = settings.serviceBus;
      return 'connectionString' in sb
        ? new ServiceBusClient(sb.connectionString, { retryOptions })
        : new ServiceBusClient(sb.fullyQualifiedNamespace, await credential(sb.clientId), { retryOptions });
    })();
    return serviceBus;
  };
  let sender: ReturnType<typeof createDemandQueue> | undefined;
  const queue: DemandQueue = {
    async enqueue(demands) {
      sender ??= createDemandQueue((await client()).createSender(DEMAND_QUEUE));
      return sender.enqueue(demands);
    },
  };

  const adoCredential = async (auth: AuthConfig): Promise<AdoCredential> => {
    const { patCredential, entraCredential } = await import('../ado/ado-credential.js');
    if (auth.kind === 'managedIdentity') return entraCredential(await credential(auth.clientId));
    patStore ??= (async () => {
      const { createPatStore } = await import('../secrets/pat-store.js');
      return createPatStore({ credential: await credential() });
    })();
    return patCredential(await patStore, { vaultUrl: auth.vaultUrl, name: auth.secretName });
  };

  const organizations = settings.config.organizations.map((o) => o.url);
  return {
    settings,
    counters,
    organizations,
    queue,
    ado(orgUrl) {
      const org = settings.config.organizations.find((o) => o.url.url === orgUrl);
      if (!org) return Promise.reject(new Error(`organization ${orgUrl} is not in the config`));
      let ado = adoClients.get(org.url.key);
      if (!ado) {
        ado = (async () => {
          const { createAdoClient } = await import('../ado/ado-client.js');
          return createAdoClient({ orgUrl: org.url.url, credential: await adoCredential(org.auth) });
        })();
        ado.catch(() => adoClients.delete(org.url.key));
        adoClients.set(org.url.key, ado);
      }
      return ado;
    },
    async close() {
      if (serviceBus) await (await serviceBus).close();
    },
  };
}
