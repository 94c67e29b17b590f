import { ServiceBusClient } from '@azure/service-bus';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { parseDemandMessage, type DemandMessage } from '../../src/queue/demand-message';
import { dependencies, resetDependencies } from '../../src/runtime/dependencies';
import { installFunctionsCoreShim } from '../../scripts/local-host/functions-core-shim';
import { startLocalHost, type LocalHost } from '../../scripts/local-host/local-host';
import { startEmulatorStack, type EmulatorStack, type EmulatorStackOptions } from '../emulators/emulator-stack';

export const WEBHOOK_USERNAME = 'ado-hook';
export const WEBHOOK_PASSWORD = 'integration-test-password';

export interface LogLine {
  readonly level: string;
  readonly functionName: string;
  readonly message: string;
}

export interface Scaler {
  readonly stack: EmulatorStack;
  readonly host: LocalHost;
  readonly webhookUrl: string;
  readonly logs: LogLine[];
  /** Demand messages receivable now, read through the broker's own view (nothing is consumed). */
  queuedDemands(): DemandMessage[];
  /** Receives and completes everything on the queue with the real SDK, validating each body. */
  consumeDemands(): Promise<DemandMessage[]>;
  sweep(): Promise<void>;
  status(): Promise<StatusBody>;
  close(): Promise<void>;
}

export interface StatusBody {
  counters: Record<string, number>;
  pools: Array<{ organization: string; pool: string; waiting: number; running: number; error?: string; waitingRequests: Array<{ requestId: number; jobId: string }> }>;
  emulators?: Record<string, string>;
}

/**
 * The scaler as `npm start` runs it — emulators, app settings, the unchanged function files in
 * the local host — with timers left to the test. Functions are imported by the caller (so each
 * test file chooses which), after installFunctionsCoreShim() has run.
 */
export async function startScaler(options: EmulatorStackOptions & { load: () => Promise<unknown>; subscribe?: boolean }): Promise<Scaler> {
  const stack = await startEmulatorStack({ hookRetryDelaysMs: [20, 40, 80], ...options });
  Object.assign(process.env, stack.appSettings, { WEBHOOK_USERNAME, WEBHOOK_PASSWORD });
  delete process.env.SCALER_CONFIG_FILE;
  await resetDependencies();
  installFunctionsCoreShim();
  await options.load();
  const logs: LogLine[] = [];
  const host = await startLocalHost({ port: 0, scheduleTimers: false, log: (level, functionName, message) => logs.push({ level, functionName, message }) });
  const webhookUrl = `${host.url}/api/webhook`;
  if (options.subscribe ?? true) {
    const deps = dependencies();
    for (const org of deps.organizations) {
      await (await deps.ado(org.url)).ensureJobStateSubscription({ url: webhookUrl, username: WEBHOOK_USERNAME, password: WEBHOOK_PASSWORD });
    }
  }
  const client = new ServiceBusClient(stack.serviceBus.connectionString);
  const parse = (body: unknown): DemandMessage => {
    const parsed = parseDemandMessage(body);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.demand;
  };
  return {
    stack,
    host,
    webhookUrl,
    logs,
    queuedDemands: () => stack.serviceBus.queue(DEMAND_QUEUE).active().map((m) => parse(m.body)),
    async consumeDemands() {
      const receiver = client.createReceiver(DEMAND_QUEUE);
      const demands: DemandMessage[] = [];
      try {
        for (let n = stack.serviceBus.queue(DEMAND_QUEUE).active().length; n > 0; n = stack.serviceBus.queue(DEMAND_QUEUE).active().length) {
          for (const m of await receiver.receiveMessages(n, { maxWaitTimeInMs: 2_000 })) {
            demands.push(parse(m.body));
            await receiver.completeMessage(m);
          }
        }
      } finally {
        await receiver.close();
      }
      return demands;
    },
    sweep: () => host.timers.run('reconcile'),
    async status() {
      const response = await fetch(`${host.url}/api/status`);
      return (await response.json()) as StatusBody;
    },
    async close() {
      await client.close();
      await host.close();
      await resetDependencies();
      await stack.close();
    },
  };
}

/** A configuration document with one organization and the given pools, each with one ACI profile. */
export function configWithPools(pools: readonly string[], auth: Record<string, string> = { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' }) {
  return {
    organizations: [
      {
        url: 'https://dev.azure.com/contoso',
        auth,
        pools: pools.map((name) => ({
          name,
          profiles: [
            {
              name: 'default',
              image: 'contosoacr.azurecr.io/ado-agent:4',
              launcher: { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg', location: 'westeurope' },
            },
          ],
        })),
      },
    ],
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
