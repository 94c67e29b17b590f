import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { errorMessage } from '../../src/errors/error-message';
import { startEmulatorStack } from '../local-stack/emulator-stack';
import { testTls, TEST_TLS_DIR_ENV } from '../../emulators/core/test-ca';
import { installFunctionsCoreShim } from '../local-host/functions-core-shim';
import { startLocalHost } from '../local-host/local-host';

/**
 * `npm run bench`: how long the webhook takes to answer ADO, against a baseline measured in the
 * same process — a POST the local host answers 404 without running any function — so the ratio
 * shows what the webhook itself adds (auth, validation, the Service Bus send) on this machine.
 */
const root = path.resolve(__dirname, '..', '..', '..');
const N = Number(process.env.BENCH_REQUESTS ?? 500);
const user = 'bench-hook';
const password = 'bench-webhook-password';

async function main(): Promise<void> {
  const config: unknown = JSON.parse(readFileSync(path.join(root, 'config.sample.json'), 'utf8'));
  process.env[TEST_TLS_DIR_ENV] ??= path.join(root, '.local', 'tls');
  const ca = await testTls();
  (tls as unknown as { setDefaultCACertificates(c: string[]): void }).setDefaultCACertificates([
    ...(tls as unknown as { getCACertificates(k: string): string[] }).getCACertificates('default'),
    ca.caPem,
  ]);
  const stack = await startEmulatorStack({ config, tls: ca });
  Object.assign(process.env, stack.appSettings, { WEBHOOK_USERNAME: user, WEBHOOK_PASSWORD: password });
  installFunctionsCoreShim();
  const webhookFile = path.join(root, 'dist', 'functions', 'webhook.js');
  if (!existsSync(webhookFile)) throw new Error('run `npm run build` first');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled function file, as the host loads it
  require(webhookFile);
  const host = await startLocalHost({ port: 0, scheduleTimers: false, log: () => {} });
  const orgUrl = stack.ado.orgUrl(stack.orgNames[0] ?? 'contoso');
  const headers = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'content-type': 'application/json' };
  const event = (i: number) =>
    JSON.stringify({
      eventType: 'ms.vss-pipelines.job-state-changed-event',
      publisherId: 'pipelines',
      resource: { job: { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, state: 'waiting', _links: { web: { href: `${orgUrl}/p/_build` } } } },
      resourceContainers: { account: { baseUrl: `${orgUrl}/` } },
    });

  const time = async (url: string, body: (i: number) => string, expect: number): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < N; i++) {
      const start = process.hrtime.bigint();
      const response = await fetch(url, { method: 'POST', headers, body: body(i) });
      await response.arrayBuffer();
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (response.status !== expect) throw new Error(`${url} answered ${response.status}, expected ${expect}`);
    }
    return samples.sort((a, b) => a - b);
  };
  await time(`${host.url}/api/webhook`, (i) => event(1_000_000 + i), 202); // warm-up: clients, links, JIT
  const baseline = await time(`${host.url}/api/none`, (i) => event(i), 404);
  const webhook = await time(`${host.url}/api/webhook`, (i) => event(i), 202);
  const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
  const row = (name: string, s: number[]) =>
    `${name.padEnd(22)} p50 ${q(s, 0.5).toFixed(2)} ms   p95 ${q(s, 0.95).toFixed(2)} ms   p99 ${q(s, 0.99).toFixed(2)} ms`;
  console.log(`webhook benchmark: ${N} sequential deliveries (each a new waiting job) on this machine, emulated Service Bus`);
  console.log(row('baseline (404, no fn)', baseline));
  console.log(row('webhook (202, enqueue)', webhook));
  console.log(`ratio webhook/baseline: p50 ${(q(webhook, 0.5) / q(baseline, 0.5)).toFixed(1)}x, p95 ${(q(webhook, 0.95) / q(baseline, 0.95)).toFixed(1)}x`);
  await host.close();
  await stack.close();
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(errorMessage(e));
  process.exit(1);
});
