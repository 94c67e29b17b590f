import { ServiceBusClient } from '@azure/service-bus';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { parseDemandMessage, type DemandMessage } from '../../src/queue/demand-message';
import { dependencies, resetDependencies } from '../../src/runtime/dependencies';
import { installFunctionsCoreShim } from '../../scripts/local-host/functions-core-shim';
import { startLocalHost, type LocalHost } from '../../scripts/local-host/local-host';
import { receiveServiceBusFunctions } from '../../scripts/local-host/service-bus-trigger';
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
  /** The current local host (replaceHost() swaps it). */
  readonly host: LocalHost;
  /** Stops the local host as a crashed instance stops (no settling), and starts a fresh one. */
  replaceHost(): Promise<void>;
  /** More consumers of the demand queue, like more Functions instances; closed with the scaler. */
  addConsumers(count: number, maxConcurrentCalls: number): void;
  readonly webhookUrl: string;
  readonly logs: LogLine[];
  /** Demand messages receivable now, read through the broker's own view (nothing is consumed). */
  queuedDemands(): DemandMessage[];
  /** Receives and completes everything on the queue with the real SDK, validating each body. */
  consumeDemands(): Promise<DemandMessage[]>;
  sweep(): Promise<void>;
  /**
   * Moves Service Bus time to when the next scheduled (delayed) demand is due, so a test does not
   * sit through retry delays. Answers false when nothing is scheduled.
   */
  skipToNextRetry(): boolean;
  status(): Promise<StatusBody>;
  close(): Promise<void>;
}

export interface StatusBody {
  counters: Record<string, number>;
  pools: Array<{ organization: string; pool: string; waiting: number; running: number; error?: string; waitingRequests: Array<{ requestId: number; jobId: string }> }>;
  profiles: Array<{ organization: string; pool: string; profile: string; launcher: string; maxAgents: number; starting: number; running: number; finished: number; error?: string }>;
  emulators?: Record<string, string>;
}

/**
 * The scaler as `npm start` runs it — emulators, app settings, the unchanged function files in
 * the local host — with timers left to the test. Functions are imported by the caller (so each
 * test file chooses which), after installFunctionsCoreShim() has run.
 */
export async function startScaler(options: EmulatorStackOptions & { load: () => Promise<unknown>; subscribe?: boolean }): Promise<Scaler> {
  let offsetMs = 0;
  const serviceBusClock = () => Date.now() + offsetMs;
  const stack = await startEmulatorStack({ hookRetryDelaysMs: [20, 40, 80], serviceBusClock, ...options });
  Object.assign(process.env, stack.appSettings, { WEBHOOK_USERNAME, WEBHOOK_PASSWORD });
  delete process.env.SCALER_CONFIG_FILE;
  await resetDependencies();
  installFunctionsCoreShim();
  await options.load();
  const logs: LogLine[] = [];
  const log = (level: string, functionName: string, message: string) => logs.push({ level, functionName, message });
  let host = await startLocalHost({ port: 0, scheduleTimers: false, log });
  const port = Number(new URL(host.url).port);
  const webhookUrl = `${host.url}/api/webhook`;
  const consumers: Array<{ close(): Promise<void> }> = [];
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
    get host() {
      return host;
    },
    async replaceHost() {
      await host.close();
      host = await startLocalHost({ port, scheduleTimers: false, log });
    },
    addConsumers(count, maxConcurrentCalls) {
      for (let i = 0; i < count; i++) consumers.push(receiveServiceBusFunctions(host.functions, log, process.env, maxConcurrentCalls));
    },
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
    skipToNextRetry() {
      const due = stack.serviceBus.queue(DEMAND_QUEUE).scheduled().map((m) => m.scheduledEnqueueTimeUtc?.getTime() ?? Infinity);
      if (due.length === 0) return false;
      offsetMs += Math.max(0, Math.min(...due) - serviceBusClock());
      return true;
    },
    async status() {
      const response = await fetch(`${host.url}/api/status`);
      return (await response.json()) as StatusBody;
    },
    async close() {
      await Promise.all(consumers.map((c) => c.close()));
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
