import { normaliseOrgUrl } from '../../src/config/org-url';
import { DEMAND_QUEUE, SERVICE_BUS_CONNECTION } from '../../src/config/load-settings';
import { startAdoEmulator, type AdoEmulator } from './ado';
import { startAzurite, type Azurite } from './azurite/start-azurite';
import { startSimulatedAgent, type SimulatedAgent, type SimulatedAgentPhase } from './agent/simulated-agent';
import { startArmEmulator, type ArmEmulator } from './arm/arm-emulator';
import { startKubernetesEmulator, type KubernetesEmulator } from './kubernetes/kubernetes-emulator';
import { startIdentityEmulator, type IdentityEmulator } from './identity/identity-emulator';
import { startKeyVaultEmulator, VAULT_RESOURCE, type KeyVaultEmulator } from './key-vault/key-vault-emulator';
import { startServiceBusEmulator, type ServiceBusEmulator } from './service-bus';
import type { TestTls } from './tls/test-ca';

/** The PAT every emulated organization accepts and the Key Vault emulator holds. */
export const EMULATOR_PAT = 'emulator-pat';

export interface EmulatorStackOptions {
  /** A configuration document as users write it; organizations and vaults are mapped onto the emulators. */
  readonly config: unknown;
  readonly ports?: { readonly ado?: number; readonly serviceBus?: number; readonly keyVault?: number; readonly identity?: number };
  readonly duplicateDetectionWindowMs?: number;
  /** The demand queue's lock duration (default 30 s) and max delivery count (default 5, as Bicep sets). */
  readonly lockDurationMs?: number;
  readonly maxDeliveryCount?: number;
  /** Service Bus time (scheduled messages, locks, duplicate window): a test can move it forward. */
  readonly serviceBusClock?: () => number;
  readonly hookRetryDelaysMs?: readonly number[];
  /** The CA-signed certificate the Key Vault emulator serves, when the caller has arranged trust itself. */
  readonly tls?: TestTls;
  /** How long a simulated agent takes to run its job; default 1 s. */
  readonly jobDurationMs?: number;
  /** ADO fails jobs no agent of the pool could ever run (see the ADO emulator's option). */
  readonly failUnmatchedJobs?: boolean;
  /** Pools left out of the ADO emulator, to see what a wrong pool name does. */
  readonly omitPools?: readonly string[];
}

export interface EmulatorStack {
  readonly ado: AdoEmulator;
  readonly serviceBus: ServiceBusEmulator;
  readonly keyVault: KeyVaultEmulator;
  readonly identity: IdentityEmulator;
  readonly storage: Azurite;
  readonly arm: ArmEmulator;
  readonly kubernetes: KubernetesEmulator;
  /** The document with every organization URL and vault URL pointing at an emulator. */
  readonly config: ConfigDocument;
  /** App settings that point the scaler at the emulators (merge into process.env). */
  readonly appSettings: Readonly<Record<string, string>>;
  readonly urls: Readonly<Record<string, string>>;
  /** The emulated organization name for each configured organization URL, in config order. */
  readonly orgNames: readonly string[];
  /**
   * Where the newest agent container of that name is: ADO marks a job running when it assigns it,
   * before the agent has seen it; a test that ends the job before that leaves the agent idle.
   */
  agentPhase(name: string): SimulatedAgentPhase | undefined;
  close(): Promise<void>;
}

interface ConfigDocument {
  organizations: Array<{
    url: string;
    auth: { kind: string; vaultUrl?: string; secretName?: string };
    pools: Array<{ name: string; profiles?: Array<{ launcher?: { kind: string; apiServer?: string } }> }>;
  }>;
  [key: string]: unknown;
}

/**
 * Starts every emulator the scaler talks to, shaped by a configuration document: the ADO
 * emulator gets its organizations and pools, the Key Vault emulator its PAT secrets, Service
 * Bus the demand queue. `npm start` and the integration tests both run on this.
 */
export async function startEmulatorStack(options: EmulatorStackOptions): Promise<EmulatorStack> {
  const config = structuredClone(options.config) as ConfigDocument;
  const orgNames = config.organizations.map((o) => organizationName(o.url));
  const identity = await startIdentityEmulator({ port: options.ports?.identity ?? 0 });
  const keyVault = await startKeyVaultEmulator({
    port: options.ports?.keyVault ?? 0,
    acceptedTokens: (t) => identity.isValid(t, VAULT_RESOURCE),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const storage = await startAzurite();
  const agents = new Map<string, SimulatedAgent>();
  const runAgent = (env: Readonly<Record<string, string>>) => {
    const agent = startSimulatedAgent({ env, jobDurationMs: options.jobDurationMs ?? 1_000 });
    if (env.AZP_AGENT_NAME) agents.set(env.AZP_AGENT_NAME, agent);
    return agent;
  };
  let armUrl = '';
  // The ARM SDK asks for a token for its endpoint, so the emulator's own URL is the audience.
  const arm = await startArmEmulator({
    acceptToken: (t) => identity.isValid(t, armUrl),
    startAgent: (container) => runAgent(container.env),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  armUrl = arm.url;
  const kubernetes = await startKubernetesEmulator({
    acceptToken: (t) => identity.isValid(t, '6dae42f8-4368-4678-94ff-3960e28e3630'),
    startAgent: (container) => runAgent(container.env),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const serviceBus = await startServiceBusEmulator({
    port: options.ports?.serviceBus ?? 0,
    ...(options.serviceBusClock ? { clock: options.serviceBusClock } : {}),
    queues: [
      {
        name: DEMAND_QUEUE,
        duplicateDetectionWindowMs: options.duplicateDetectionWindowMs ?? 600_000,
        lockDurationMs: options.lockDurationMs ?? 30_000,
        maxDeliveryCount: options.maxDeliveryCount ?? 5,
      },
    ],
  });
  const ado = await startAdoEmulator({
    port: options.ports?.ado ?? 0,
    organizations: config.organizations.map((o, i) => ({
      name: orgNames[i]!,
      pools: o.pools.map((p) => p.name).filter((p) => !options.omitPools?.includes(p)),
    })),
    tokens: [EMULATOR_PAT],
    acceptBearer: (t) => identity.isValid(t, '499b84ac-1321-427f-aa17-267ca6975798'),
    ...(options.hookRetryDelaysMs ? { hookRetryDelaysMs: options.hookRetryDelaysMs } : {}),
    ...(options.failUnmatchedJobs ? { failUnmatchedJobs: true } : {}),
  });
  config.organizations.forEach((o, i) => {
    o.url = ado.orgUrl(orgNames[i]!);
    for (const profile of o.pools.flatMap((p) => p.profiles ?? [])) {
      if (profile.launcher?.kind === 'aksVirtualNode') profile.launcher.apiServer = kubernetes.url;
    }
    if (o.auth.kind === 'pat') {
      o.auth.vaultUrl = keyVault.url;
      keyVault.setSecret(o.auth.secretName ?? 'ado-pat', EMULATOR_PAT);
    }
  });
  const urls = { ado: ado.url, serviceBus: `sb://127.0.0.1:${serviceBus.port}`, keyVault: keyVault.url, identity: identity.endpoint, storage: storage.tableUrl, arm: arm.url, kubernetes: kubernetes.url };
  return {
    ado,
    serviceBus,
    keyVault,
    identity,
    storage,
    arm,
    kubernetes,
    config,
    orgNames,
    urls,
    agentPhase: (name) => agents.get(name)?.phase,
    appSettings: {
      SCALER_CONFIG: JSON.stringify(config),
      [SERVICE_BUS_CONNECTION]: serviceBus.connectionString,
      AzureWebJobsStorage: storage.connectionString,
      AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
      ...identity.env,
      SCALER_EMULATORS: JSON.stringify(urls),
    },
    async close() {
      await Promise.allSettled([ado.close(), serviceBus.close(), keyVault.close(), identity.close(), storage.close(), arm.close(), kubernetes.close()]);
    },
  };
}

function organizationName(url: string): string {
  const normalised = normaliseOrgUrl(url);
  const path = 'error' in normalised ? url : normalised.url;
  return new URL(path).pathname.split('/').filter(Boolean).pop() ?? 'organization';
}
