import { ServiceBusClient } from '@azure/service-bus';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { parsePoolSignal, type PoolSignal } from '../../src/queue/pool-signal';
import { resetDependencies } from '../../src/runtime/dependencies';
import type { Clock } from '../../src/time/clock';
import { installFunctionsCoreShim } from '../../scripts/local-host/functions-core-shim';
import { startLocalHost, type LocalHost } from '../../scripts/local-host/local-host';
import { receiveServiceBusFunctions } from '../../scripts/local-host/service-bus-trigger';
import { startEmulatorStack, type EmulatorStack, type EmulatorStackOptions } from '../../scripts/local-stack/emulator-stack';
import { subscribeWebhook } from '../../scripts/local-stack/webhook-subscription';

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
  /** More consumers of the signal queue, like more Functions instances; closed with the scaler. */
  addConsumers(count: number, maxConcurrentCalls: number): void;
  readonly webhookUrl: string;
  readonly logs: LogLine[];
  /** Every signal the queue accepted so far (duplicates within a window dropped), with when it is due; read through the broker's own view. */
  signals(): Array<PoolSignal & { readonly dueAt: number }>;
  /** Receives and completes everything on the queue with the real SDK, validating each body (for tests that load no scheduler). */
  consumeSignals(): Promise<PoolSignal[]>;
  sweep(): Promise<void>;
  status(): Promise<StatusBody>;
  close(): Promise<void>;
}

export interface StatusBody {
  counters: Record<string, number>;
  pools: Array<{
    organization: string;
    pool: string;
    waiting: number;
    running: number;
    error?: string;
    waitingRequests: Array<{ requestId: number; jobId: string }>;
  }>;
  profiles: Array<{
    organization: string;
    pool: string;
    profile: string;
    launcher: string;
    maxAgents: number;
    starting: number;
    running: number;
    finished: number;
    backoff?: { until: string; reason: string };
    error?: string;
  }>;
  emulators?: Record<string, string>;
}

/**
 * The scaler as `npm start` runs it — emulators, app settings, the unchanged function files in
 * the local host — with timers left to the test. Functions are imported by the caller (so each
 * test file chooses which), after installFunctionsCoreShim() has run.
 */
export async function startScaler(
  options: EmulatorStackOptions & {
    load: () => Promise<unknown>;
    subscribe?: boolean;
    /**
     * The scaler's clock (the system clock by default). A test that moves it gives the same one
     * to the emulators whose times meet the scaler's: Service Bus (scheduled signals), ADO (its timestamps).
     */
    now?: Clock;
  },
): Promise<Scaler> {
  const stack = await startEmulatorStack({ hookRetryDelaysMs: [20, 40, 80], ...options });
  Object.assign(process.env, stack.appSettings, { WEBHOOK_USERNAME, WEBHOOK_PASSWORD });
  delete process.env.SCALER_CONFIG_FILE;
  await resetDependencies(options.now ? { now: options.now } : {});
  installFunctionsCoreShim();
  await options.load();
  const logs: LogLine[] = [];
  const log = (level: string, functionName: string, message: string) => logs.push({ level, functionName, message });
  let host = await startLocalHost({ port: 0, scheduleTimers: false, log });
  const port = Number(new URL(host.url).port);
  const webhookUrl = `${host.url}/api/webhook`;
  const consumers: Array<{ close(): Promise<void> }> = [];
  if (options.subscribe ?? true) await subscribeWebhook(stack, { url: webhookUrl, username: WEBHOOK_USERNAME, password: WEBHOOK_PASSWORD });
  const client = new ServiceBusClient(stack.serviceBus.connectionString);
  const parse = (body: unknown): PoolSignal => {
    const parsed = parsePoolSignal(body);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.signal;
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
    signals: () =>
      stack.serviceBus
        .queue(SIGNAL_QUEUE)
        .accepted()
        .map((m) => ({ ...parse(m.body), dueAt: (m.scheduledEnqueueTimeUtc ?? m.enqueuedTimeUtc).getTime() })),
    async consumeSignals() {
      const receiver = client.createReceiver(SIGNAL_QUEUE);
      const signals: PoolSignal[] = [];
      try {
        // Signals are scheduled for their window's end: wait for those still to come as well.
        const pending = () => stack.serviceBus.queue(SIGNAL_QUEUE).active().length + stack.serviceBus.queue(SIGNAL_QUEUE).scheduled().length;
        for (let n = pending(); n > 0; n = pending()) {
          for (const m of await receiver.receiveMessages(n, { maxWaitTimeInMs: 2_000 })) {
            signals.push(parse(m.body));
            await receiver.completeMessage(m);
          }
        }
      } finally {
        await receiver.close();
      }
      return signals;
    },
    sweep: () => host.timers.run('reconcile'),
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
export function configWithPools(
  pools: readonly string[],
  auth: Record<string, string> = { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
) {
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

/**
 * The first look a pass scheduled for `pool` after the first `mark` signals (a retry after a
 * back-off, the end of a grace): what a test moves the clock to instead of waiting for it.
 */
export function scheduledLook(scaler: Scaler, pool: string, mark: number, what: string, ms = 30_000): Promise<PoolSignal & { readonly dueAt: number }> {
  return eventually(
    () =>
      scaler
        .signals()
        .slice(mark)
        .find((s) => s.pool === pool && s.reason === 'scheduled'),
    ms,
    what,
  );
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
