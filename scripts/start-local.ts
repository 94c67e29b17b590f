import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ConfigError, type ConfigProblem } from '../src/config/config-error';
import { parseConfig } from '../src/config/load-settings';
import { errorMessage } from '../src/errors/error-message';
import { dependencies } from '../src/runtime/dependencies';
import { startEmulatorStack, type EmulatorStack } from './local-stack/emulator-stack';
import { testTls, TEST_TLS_DIR_ENV } from '../emulators/core/test-ca';
import { subscribeWebhook } from './local-stack/webhook-subscription';
import { runDemoWorkload } from './demo-workload';
import { startLocalHost, type LocalHost } from './local-host/local-host';

/**
 * `npm start`: the function app in a local host on http://localhost:7071. With a
 * local.settings.json it runs against whatever those settings name (real Azure and ADO);
 * without one, on the emulators, configured from local.settings.sample.json.
 */
const root = path.resolve(__dirname, '..', '..');
const port = Number(process.env.PORT ?? 7071);

async function main(): Promise<void> {
  const localSettings = path.join(root, 'local.settings.json');
  const onEmulators = !existsSync(localSettings);
  applySettings(onEmulators ? path.join(root, 'local.settings.sample.json') : localSettings);
  const stack = onEmulators ? await startEmulators() : undefined;
  const host = await startLocalHost({ functionsDir: path.join(root, 'dist', 'functions'), port });
  const webhookUrl = `${host.url}/api/webhook`;
  if (stack) {
    const { username, password } = dependencies().settings.webhook;
    await subscribeWebhook(stack, { url: webhookUrl, username, password });
    // Placeholders at once rather than at the first timer tick, so the emulated pools start as a real one would.
    if (host.functions.some((f) => f.name === 'upkeep')) await host.timers.run('upkeep');
  }
  printBanner(host, stack);
  if (stack && !process.argv.includes('--no-demo')) {
    void runDemoWorkload(stack, (line) => console.log(line)).catch((e: unknown) => console.error(`demo: ${String(e)}`));
  }
  const stop = async () => {
    await host.close();
    await stack?.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** local.settings.json's Values become app settings, as `func start` does; the environment wins. */
function applySettings(file: string): void {
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
  for (const [name, value] of Object.entries(values)) process.env[name] ??= value;
  const configFile = process.env.SCALER_CONFIG_FILE;
  if (configFile && !path.isAbsolute(configFile)) process.env.SCALER_CONFIG_FILE = path.join(root, configFile);
}

async function startEmulators(): Promise<EmulatorStack> {
  const raw = process.env.SCALER_CONFIG ?? readFileSync(process.env.SCALER_CONFIG_FILE ?? '', 'utf8');
  const document: unknown = JSON.parse(raw);
  const problems: ConfigProblem[] = [];
  if (!parseConfig(document, problems)) throw new ConfigError(problems);

  // The Key Vault emulator speaks HTTPS with a locally generated CA; trust it in this process only.
  process.env[TEST_TLS_DIR_ENV] ??= path.join(root, '.local', 'tls');
  const ca = await testTls();
  (tls as unknown as { setDefaultCACertificates(certs: string[]): void }).setDefaultCACertificates([
    ...(tls as unknown as { getCACertificates(kind: string): string[] }).getCACertificates('default'),
    ca.caPem,
  ]);
  const stack = await startEmulatorStack({ config: document, tls: ca, ports: { ado: Number(process.env.ADO_EMULATOR_PORT ?? 7080) } });
  Object.assign(process.env, stack.appSettings);
  delete process.env.SCALER_CONFIG_FILE;
  return stack;
}

function printBanner(host: LocalHost, stack: EmulatorStack | undefined): void {
  const lines = [
    '',
    `ado-agent-scaler is running (${stack ? 'on the local emulators' : 'with local.settings.json'})`,
    '',
    'Functions:',
    ...host.functions.map((f) => `  ${f.name.padEnd(10)} ${describeTrigger(host, f.bindings, f.name)}`),
  ];
  if (stack) {
    const [org] = stack.orgNames;
    const [pool] = stack.config.organizations[0]?.pools ?? [];
    lines.push(
      '',
      'Emulators:',
      ...Object.entries(stack.urls).map(([name, url]) => `  ${name.padEnd(10)} ${url}`),
      '',
      `Organizations: ${stack.config.organizations.map((o) => `${o.url} (pools: ${o.pools.map((p) => p.name).join(', ')})`).join('; ')}`,
      '',
      'Try it:',
      `  curl -s -X POST ${stack.ado.url}/_admin/jobs -H 'content-type: application/json' -d '{"org":"${org}","pool":"${pool?.name ?? ''}","demands":["Agent.OS -equals Linux"]}'`,
      `  curl -s ${host.url}/api/status`,
      `  open ${host.url}/api/dashboard in a browser`,
      `  curl -s ${stack.ado.url}/_admin/deliveries`,
    );
  }
  console.log(lines.join('\n') + '\n');
}

function describeTrigger(host: LocalHost, bindings: Readonly<Record<string, { type: string; [k: string]: unknown }>>, name: string): string {
  const trigger = Object.values(bindings).find((b) => /trigger$/i.test(b.type));
  if (!trigger) return '';
  if (trigger.type === 'httpTrigger') return `${((trigger.methods as string[] | undefined) ?? []).join(',')} ${host.url}/api/${trigger.route as string}`;
  if (trigger.type === 'timerTrigger') return `timer "${trigger.schedule as string}"`;
  if (trigger.type === 'eventGridTrigger') return `Event Grid: POST ${host.url}/runtime/webhooks/eventgrid?functionName=${name}`;
  return `${trigger.type} ${(trigger.queueName as string | undefined) ?? ''}`;
}

main().catch((e: unknown) => {
  console.error(errorMessage(e));
  process.exit(1);
});
