import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { startIdentityEmulator } from '../../emulators/identity/identity-emulator';
import { testTls, TEST_TLS_DIR_ENV } from '../../emulators/core/test-ca';
import { benchScenario } from './bench-scenario';
import { DEFAULT_PRICES } from './figures';
import { scenarioTable, type ScenarioResult } from './report';
import { scenario, SCENARIOS, type ScenarioName } from './scenarios';
import { parseTrace, type Trace } from './trace';

export interface BenchArgs {
  /** When the bench started, by the wall clock (the process clock runs `speed` times faster). */
  readonly date: string;
  readonly scenarios: readonly string[];
  readonly trace?: string;
  readonly json?: string;
  readonly speed: number;
  readonly pollSeconds: number;
  readonly seed: number;
  readonly vcpuPrice?: number;
  readonly gbPrice?: number;
}

const root = path.resolve(__dirname, '..', '..', '..');

/** Runs the chosen traces, prints a table each and writes the JSON; answers the exit code. */
export async function benchMain(args: BenchArgs): Promise<number> {
  const traces = chooseTraces(args);
  const prices = { vcpuSecond: args.vcpuPrice ?? DEFAULT_PRICES.vcpuSecond, gbSecond: args.gbPrice ?? DEFAULT_PRICES.gbSecond };
  const logDir = path.join(root, '.local', 'bench');
  mkdirSync(logDir, { recursive: true });
  process.env[TEST_TLS_DIR_ENV] ??= path.join(root, '.local', 'tls');
  const ca = await testTls();
  // The ARM, Kubernetes and Key Vault emulators speak HTTPS with a local CA: trust it in this process only.
  (tls as unknown as { setDefaultCACertificates(c: string[]): void }).setDefaultCACertificates([
    ...(tls as unknown as { getCACertificates(k: string): string[] }).getCACertificates('default'),
    ca.caPem,
  ]);
  console.log(
    `ado-agent-scaler bench: ${traces.map((t) => t.name).join(', ')}; model time ${args.speed}x the wall clock, ` +
      `KEDA-like baseline polling every ${args.pollSeconds} s; seed ${args.seed}; ${os.cpus().length} cores, Node ${process.version}\n`,
  );
  const identity = await startIdentityEmulator();
  const results: ScenarioResult[] = [];
  for (const trace of traces) {
    const lines: string[] = [];
    const log = (level: string, fn: string, message: string) => lines.push(`${new Date().toISOString()} ${level} ${fn}: ${message}`);
    try {
      // The clock runs `speed` times faster, the CPU does not: ADO's 10 s for the webhook to answer
      // stays 10 s of wall clock, or a webhook sharing two cores with every emulator and agent
      // would time out where on its own instance it answers in milliseconds.
      const result = await benchScenario(trace, {
        pollSeconds: args.pollSeconds,
        seed: args.seed,
        agentPollMs: 50 * args.speed,
        hookTimeoutMs: 10_000 * args.speed,
        tls: ca,
        identity,
        log,
        prices,
        clearOfTimerTicks: true,
      });
      results.push(result);
      console.log(scenarioTable(result) + '\n');
    } finally {
      writeFileSync(path.join(logDir, `${trace.name}.log`), lines.join('\n') + '\n');
    }
  }
  await identity.close();
  if (args.json) {
    const out = {
      date: args.date,
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      speed: args.speed,
      pollSeconds: args.pollSeconds,
      seed: args.seed,
      prices,
      scenarios: results.map((r) => ({ ...r, makespan: r.scaler.makespan, ideal: r.scaler.ideal, p95: r.scaler.p95 })),
    };
    writeFileSync(args.json, JSON.stringify(out, null, 2) + '\n');
    console.log(`figures written to ${args.json}; the functions' logs to ${path.relative(process.cwd(), logDir)}/`);
  }
  return 0;
}

function chooseTraces(args: BenchArgs): Trace[] {
  if (args.trace) return [parseTrace(JSON.parse(readFileSync(args.trace, 'utf8')), args.trace)];
  const known = [...SCENARIOS, 'tiny'];
  const unknown = args.scenarios.filter((s) => !known.includes(s as ScenarioName));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${known.join(', ')}`);
  return (args.scenarios.length ? (args.scenarios as ScenarioName[]) : SCENARIOS).map((name) => scenario(name, args.seed));
}
