import type { TokenCredential } from '@azure/identity';
import type { ServiceBusClient } from '@azure/service-bus';
import type { AdoClient } from '../ado/ado-client';
import type { AdoCredential } from '../ado/ado-credential';
import type { OrgUrl } from '../config/org-url';
import { loadSettings, SIGNAL_QUEUE, type Settings } from '../config/load-settings';
import type { AuthConfig, OrganizationConfig } from '../config/schema';
import type { SignalQueue } from '../queue/signal-queue';
import { Counters } from '../metrics/counters';
import type { PatStore } from '../secrets/pat-store';
import type { SchedulerDeps } from '../scheduler/handle-signal';
import type { UpkeepDeps } from '../upkeep/upkeep-context';
import { systemClock, type Clock } from '../time/clock';
import { oncePerKey } from './once-per-key';

/**
 * Everything the functions share within one process, built once and lazily: clients are
 * created on first use, and modules that only some functions need (ADO, identity, Key Vault)
 * are loaded on first use too, to keep each function's cold start small.
 */
export interface Dependencies {
  readonly settings: Settings;
  readonly counters: Counters;
  readonly organizations: readonly OrgUrl[];
  /** The process's one clock: every part built here reads it, so a test that moves it moves them all. */
  readonly now: Clock;
  /** "Pool P needs a look", coalesced per pool and window. */
  readonly signals: SignalQueue;
  ado(orgUrl: string): Promise<AdoClient>;
  /**
   * The client for the organization's service hook subscriptions, with its `hooksAuth` (or the
   * identity of a managedIdentity `auth`); undefined when a PAT organization has no `hooksAuth`.
   */
  adoHooks(orgUrl: string): Promise<AdoClient | undefined>;
  /** The organization's credential (PAT in Key Vault or Entra), shared with its ADO client. */
  adoCredential(orgUrl: string): Promise<AdoCredential>;
  /** The Azure credential of the app (Key Vault, ARM, AKS, Storage). */
  azureCredential(): Promise<TokenCredential>;
  /** What the scheduler function needs (leases, launchers), built on first use. */
  scheduler(): Promise<Omit<SchedulerDeps, 'log'>>;
  /** What the upkeep timer needs (the scheduler's launchers, its marks table), built on first use. */
  upkeep(): Promise<Omit<UpkeepDeps, 'log'>>;
  close(): Promise<void>;
}

let current: Dependencies | undefined;
let clock: Clock = systemClock;

/** The process's dependencies; throws the ConfigError listing every problem if settings are wrong. */
export function dependencies(): Dependencies {
  // The one place that reads the process environment: everything else gets settings parsed once.
  current ??= createDependencies(loadSettings(process.env), clock);
  return current;
}

/**
 * For the local host and tests that change settings between runs. `now` is the clock the next
 * dependencies are built with, the system clock unless given: a test moves time with it.
 */
export async function resetDependencies(options: { readonly now?: Clock } = {}): Promise<void> {
  const old = current;
  current = undefined;
  clock = options.now ?? systemClock;
  await old?.close();
}

export function createDependencies(settings: Settings, now: Clock = systemClock): Dependencies {
  const counters = new Counters();
  let serviceBus: Promise<ServiceBusClient> | undefined;
  let azureCredential: Promise<TokenCredential> | undefined;
  let patStore: Promise<PatStore> | undefined;

  const credential = (clientId = settings.azureClientId) => {
    const make = async () => (await import('./azure-credential.js')).azureCredential(clientId);
    if (clientId !== settings.azureClientId) return make();
    azureCredential ??= make();
    return azureCredential;
  };

  const client = () => {
    serviceBus ??= (async () => {
      const { serviceBusClient } = await import('../queue/service-bus-client.js');
      const sb = settings.serviceBus;
      return serviceBusClient(sb, () => credential('clientId' in sb ? sb.clientId : undefined));
    })();
    return serviceBus;
  };
  let signalQueue: Promise<SignalQueue> | undefined;
  const signals: SignalQueue = {
    async signal(list, at) {
      signalQueue ??= (async () => {
        const { createSignalQueue } = await import('../queue/signal-queue.js');
        return createSignalQueue((await client()).createSender(SIGNAL_QUEUE), now);
      })();
      await (await signalQueue).signal(list, at);
      counters.increment('signalsSent', list.length);
    },
  };

  const makeAdoCredential = async (auth: AuthConfig): Promise<AdoCredential> => {
    const { patCredential, entraCredential } = await import('../ado/ado-credential.js');
    if (auth.kind === 'managedIdentity') return entraCredential(await credential(auth.clientId), now);
    patStore ??= (async () => {
      const { createPatStore } = await import('../secrets/pat-store.js');
      return createPatStore({ credential: await credential(), now });
    })();
    return patCredential(await patStore, { vaultUrl: auth.vaultUrl, name: auth.secretName });
  };

  const organizations = settings.config.organizations.map((o) => o.url);
  const orgConfig = (orgUrl: string): OrganizationConfig => {
    const org = settings.config.organizations.find((o) => o.url.url === orgUrl || o.url.key === orgUrl);
    if (!org) throw new Error(`organization ${orgUrl} is not in the config`);
    return org;
  };
  // Keyed by the organization's key: one credential and one client per organization.
  const adoCredential = oncePerKey((key) => makeAdoCredential(orgConfig(key).auth));
  const adoClient = oncePerKey(async (key) => {
    const { createAdoClient } = await import('../ado/ado-client.js');
    return createAdoClient({ orgUrl: orgConfig(key).url.url, credential: await adoCredential(key), now });
  });
  const hooksAuthOf = (org: OrganizationConfig): AuthConfig | undefined => org.hooksAuth ?? (org.auth.kind === 'managedIdentity' ? org.auth : undefined);
  const adoHooksClient = oncePerKey(async (key) => {
    const { hooksAuth, url } = orgConfig(key);
    // Without hooksAuth it is the managed identity, which manages hooks with the token it uses for pools.
    if (!hooksAuth) return adoClient(key);
    const { createAdoClient } = await import('../ado/ado-client.js');
    return createAdoClient({ orgUrl: url.url, credential: await makeAdoCredential(hooksAuth), now });
  });
  let schedulerDeps: Promise<Omit<SchedulerDeps, 'log'>> | undefined;
  let upkeepDeps: Promise<Omit<UpkeepDeps, 'log'>> | undefined;
  const self: Dependencies = {
    settings,
    counters,
    organizations,
    now,
    signals,
    adoCredential: async (orgUrl) => adoCredential(orgConfig(orgUrl).url.key),
    azureCredential: () => credential(),
    ado: async (orgUrl) => adoClient(orgConfig(orgUrl).url.key),
    adoHooks: async (orgUrl) => {
      const org = orgConfig(orgUrl);
      return hooksAuthOf(org) ? adoHooksClient(org.url.key) : undefined;
    },
    scheduler() {
      schedulerDeps ??= import('./scheduler-dependencies.js').then((m) => m.createSchedulerDependencies(self, settings));
      schedulerDeps.catch(() => (schedulerDeps = undefined));
      return schedulerDeps;
    },
    upkeep() {
      upkeepDeps ??= import('./upkeep-dependencies.js').then((m) => m.createUpkeepDependencies(self, settings));
      upkeepDeps.catch(() => (upkeepDeps = undefined));
      return upkeepDeps;
    },
    async close() {
      if (serviceBus) await (await serviceBus).close();
    },
  };
  return self;
}
