import { normaliseOrgUrl } from '../../src/config/org-url';
import { SERVICE_BUS_CONNECTION, SIGNAL_QUEUE } from '../../src/config/load-settings';
import { startAdoEmulator, type AdoEmulator, type AdoEmulatorOptions } from '../../emulators/ado/ado-emulator';
import { startAzuriteEmulator, type AzuriteEmulator } from '../../emulators/azurite/azurite-emulator';
import {
  startSimulatedAgent,
  type AgentTimeline,
  type JobDurationRequest,
  type SimulatedAgent,
  type SimulatedAgentPhase,
} from '../../emulators/agent/simulated-agent';
import type { Latency } from '../../emulators/core/latency';
import { startArmEmulator, type ArmEmulator } from '../../emulators/arm/arm-emulator';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../emulators/kubernetes/kubernetes-emulator';
import { startIdentityEmulator, type IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { startKeyVaultEmulator, VAULT_RESOURCE, type KeyVaultEmulator } from '../../emulators/key-vault/key-vault-emulator';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../emulators/service-bus/service-bus-emulator';
import type { TestTls } from '../../emulators/core/test-ca';

/**
 * The pool PAT every emulated organization accepts and the Key Vault emulator holds: Agent Pools
 * (Read & manage) only, as the README tells users to create it.
 */
export const EMULATOR_PAT = 'emulator-pat';
/** The PAT for service hook subscriptions (`hooksAuth`): Build (Read) only, as the README tells users. */
export const EMULATOR_HOOKS_PAT = 'emulator-hooks-pat';
/** A full-access PAT, standing in for the user's own login (what `npm run hook:create` runs with). */
export const EMULATOR_ADMIN_PAT = 'emulator-admin-pat';
/** Scopes of the stack's PATs, as ADO names them. */
export const POOL_PAT_SCOPES = ['vso.agentpools_manage'] as const;
export const HOOKS_PAT_SCOPES = ['vso.build'] as const;

export interface EmulatorStackOptions {
  /** A configuration document as users write it; organizations and vaults are mapped onto the emulators. */
  readonly config: unknown;
  readonly ports?: { readonly ado?: number; readonly serviceBus?: number; readonly keyVault?: number; readonly identity?: number };
  readonly duplicateDetectionWindowMs?: number;
  /** The signal queue's lock duration (default 30 s) and max delivery count (default 5, as Bicep sets). */
  readonly lockDurationMs?: number;
  readonly maxDeliveryCount?: number;
  /** Service Bus time (scheduled messages, locks, duplicate window): a test can move it forward. */
  readonly serviceBusClock?: () => number;
  readonly hookRetryDelaysMs?: readonly number[];
  /** The CA-signed certificate the Key Vault emulator serves, when the caller has arranged trust itself. */
  readonly tls?: TestTls;
  /** How long the emulated steps take; each container, agent and job draws its own (see latency.ts). */
  readonly latencies?: StackLatencies;
  /** The one generator for every latency draw (uniform on [0, 1)); Math.random by default. */
  readonly random?: () => number;
  /** ACI's create-rate limit on the ARM emulator (new container groups per sliding window); none by default. */
  readonly aciCreateRateLimit?: { readonly count: number; readonly windowMs: number };
  /** Further ADO emulator options, spread last into its options (so they win over the stack's). */
  readonly ado?: Partial<AdoEmulatorOptions>;
  /** ADO fails jobs no agent of the pool could ever run (see the ADO emulator's option). */
  readonly failUnmatchedJobs?: boolean;
  /**
   * A managed identity endpoint to share with an earlier stack, left running on close: MSAL keeps
   * managed identity tokens in a process-wide cache, so a second stack in the same process must
   * accept the tokens the first one issued.
   */
  readonly identity?: IdentityEmulator;
  /** Pools left out of the ADO emulator, to see what a wrong pool name does. */
  readonly omitPools?: readonly string[];
}

export interface StackLatencies {
  /** ACI container group Pending → Running; default 100 ms (the ARM emulator's). */
  readonly aciStart?: Latency;
  /** AKS pod scheduled → Running; default 20 ms (the Kubernetes emulator's). */
  readonly aksStart?: Latency;
  /** Container running → agent registered (config.sh); default 0. */
  readonly agentRegistration?: Latency;
  /** How long an agent runs its job: a latency, or ms per job request; default 1 s. */
  readonly jobDuration?: Latency | ((request: JobDurationRequest) => number);
  /** The agents' poll interval for their assignment; default 50 ms (the simulated agent's). */
  readonly agentPollMs?: number;
}

/** One started agent process (container) and what happened to it, epoch ms. */
export interface ContainerRecord extends AgentTimeline {
  /** The container group (ACI) or Job (AKS) name. */
  readonly name: string;
  readonly kind: 'aci' | 'aks';
  /** When the container group / Job was created. */
  readonly createdAt: number;
}

export interface EmulatorStack {
  readonly ado: AdoEmulator;
  readonly serviceBus: ServiceBusEmulator;
  readonly keyVault: KeyVaultEmulator;
  readonly identity: IdentityEmulator;
  readonly storage: AzuriteEmulator;
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
  /** Every agent process started so far, in start order, including those that have exited (a redeploy or retry adds one). */
  containers(): ContainerRecord[];
  close(): Promise<void>;
}

interface ConfigDocument {
  organizations: Array<{
    url: string;
    auth: { kind: string; vaultUrl?: string; secretName?: string };
    hooksAuth?: { kind: string; vaultUrl?: string; secretName?: string };
    pools: Array<{ name: string; profiles?: Array<{ launcher?: { kind: string; apiServer?: string } }> }>;
  }>;
  [key: string]: unknown;
}

/**
 * Starts every emulator the scaler talks to, shaped by a configuration document: the ADO
 * emulator gets its organizations and pools, the Key Vault emulator its PAT secrets, Service
 * Bus the signal queue. `npm start` and the integration tests both run on this.
 */
export async function startEmulatorStack(options: EmulatorStackOptions): Promise<EmulatorStack> {
  const config = structuredClone(options.config) as ConfigDocument;
  const orgNames = config.organizations.map((o) => organizationName(o.url));
  const identity = options.identity ?? (await startIdentityEmulator({ port: options.ports?.identity ?? 0 }));
  const keyVault = await startKeyVaultEmulator({
    port: options.ports?.keyVault ?? 0,
    acceptedTokens: (t) => identity.isValid(t, VAULT_RESOURCE),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const storage = await startAzuriteEmulator();
  const agents = new Map<string, SimulatedAgent>();
  const started: Array<{ name: string; kind: 'aci' | 'aks'; createdAt: number; agent: SimulatedAgent }> = [];
  const latencies = options.latencies ?? {};
  const random = options.random ?? Math.random;
  const runAgent = (env: Readonly<Record<string, string>>, container: { name: string; kind: 'aci' | 'aks'; createdAt: string }) => {
    const agent = startSimulatedAgent({
      env,
      jobDuration: latencies.jobDuration ?? 1_000,
      random,
      ...(latencies.agentRegistration !== undefined ? { registrationDelay: latencies.agentRegistration } : {}),
      ...(latencies.agentPollMs !== undefined ? { pollMs: latencies.agentPollMs } : {}),
    });
    if (env.AZP_AGENT_NAME) agents.set(env.AZP_AGENT_NAME, agent);
    started.push({ name: container.name, kind: container.kind, createdAt: Date.parse(container.createdAt), agent });
    return agent;
  };
  let armUrl = '';
  // The ARM SDK asks for a token for its endpoint, so the emulator's own URL is the audience.
  const arm = await startArmEmulator({
    acceptToken: (t) => identity.isValid(t, armUrl),
    startAgent: (container) => runAgent(container.env, { name: container.name, kind: 'aci', createdAt: container.createdAt }),
    random,
    ...(latencies.aciStart !== undefined ? { provisioningDelay: latencies.aciStart } : {}),
    ...(options.aciCreateRateLimit ? { createRateLimit: options.aciCreateRateLimit } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  armUrl = arm.url;
  const kubernetes = await startKubernetesEmulator({
    acceptToken: (t) => identity.isValid(t, '6dae42f8-4368-4678-94ff-3960e28e3630'),
    startAgent: (container) => runAgent(container.env, { name: jobNameOf(container.pod), kind: 'aks', createdAt: container.createdAt }),
    random,
    ...(latencies.aksStart !== undefined ? { scheduleDelay: latencies.aksStart } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const serviceBus = await startServiceBusEmulator({
    port: options.ports?.serviceBus ?? 0,
    ...(options.serviceBusClock ? { now: options.serviceBusClock } : {}),
    queues: [
      {
        name: SIGNAL_QUEUE,
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
    tokens: [{ token: EMULATOR_PAT, scopes: POOL_PAT_SCOPES }, { token: EMULATOR_HOOKS_PAT, scopes: HOOKS_PAT_SCOPES }, EMULATOR_ADMIN_PAT],
    acceptBearer: (t) => identity.isValid(t, '499b84ac-1321-427f-aa17-267ca6975798'),
    ...(options.hookRetryDelaysMs ? { hookRetryDelaysMs: options.hookRetryDelaysMs } : {}),
    ...(options.failUnmatchedJobs ? { failUnmatchedJobs: true } : {}),
    ...options.ado,
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
    if (o.hooksAuth?.kind === 'pat') {
      o.hooksAuth.vaultUrl = keyVault.url;
      keyVault.setSecret(o.hooksAuth.secretName ?? 'ado-hooks-pat', EMULATOR_HOOKS_PAT);
    }
  });
  const urls = {
    ado: ado.url,
    serviceBus: `sb://127.0.0.1:${serviceBus.port}`,
    keyVault: keyVault.url,
    identity: identity.endpoint,
    storage: storage.tableUrl,
    arm: arm.url,
    kubernetes: kubernetes.url,
  };
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
    containers: () => started.map(({ name, kind, createdAt, agent }) => ({ name, kind, createdAt, ...agent.timeline })),
    appSettings: {
      SCALER_CONFIG: JSON.stringify(config),
      [SERVICE_BUS_CONNECTION]: serviceBus.connectionString,
      AzureWebJobsStorage: storage.connectionString,
      AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
      ...identity.env,
      SCALER_EMULATORS: JSON.stringify(urls),
    },
    async close() {
      await Promise.allSettled([
        ado.close(),
        serviceBus.close(),
        keyVault.close(),
        options.identity ? undefined : identity.close(),
        storage.close(),
        arm.close(),
        kubernetes.close(),
      ]);
    },
  };
}

/** The pod's Job (its controller owner), as the AKS launcher named it. */
function jobNameOf(pod: { metadata: { name: string; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> } }): string {
  return pod.metadata.ownerReferences?.find((r) => r.kind === 'Job')?.name ?? pod.metadata.labels?.['job-name'] ?? pod.metadata.name;
}

function organizationName(url: string): string {
  const normalised = normaliseOrgUrl(url);
  const path = 'error' in normalised ? url : normalised.url;
  return new URL(path).pathname.split('/').filter(Boolean).pop() ?? 'organization';
}
