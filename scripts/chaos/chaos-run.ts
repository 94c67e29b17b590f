import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { createAdoClient } from '../../src/ado/ado-client';
import { fixedPatCredential } from '../../src/ado/ado-credential';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { HOOKS_PAT_SCOPES, POOL_PAT_SCOPES, startEmulatorStack } from '../local-stack/emulator-stack';
import { seededRandom } from '../../emulators/core/latency';
import { testTls, TEST_TLS_DIR_ENV } from '../../emulators/core/test-ca';
import { observeAgents } from './agent-observer';
import { busyStops } from './busy-stops';
import { chaosChecks, type Check } from './chaos-checks';
import { chaosEvidence } from './chaos-evidence';
import { chaosFigures, type ChaosObservation } from './chaos-figures';
import { CHAOS_LATENCIES, chaosConfig, HOOK_PROBATION_DELAYS_MS, HOOK_RETRY_DELAYS_MS, WEBHOOK_USERNAME, type ChaosPlan } from './chaos-plan';
import { checkLines, figuresTable } from './chaos-report';
import { classifyDeadLetters } from './dead-letters';
import { scheduleFaults } from './fault-schedule';
import { freePort, hostSupervisor } from './host-supervisor';
import { leftovers } from './leftovers';
import { searchSecrets } from './secret-search';
import { planJobs, playJobs } from './workload';

export interface ChaosArgs {
  readonly seed: number;
  readonly plan: ChaosPlan;
}

const root = path.resolve(__dirname, '..', '..', '..');
const UPKEEP_SECONDS = 30;
const KEEP_FINISHED = 5;

/** One chaos run: the emulators here, the host in a child process, the plan's faults while the jobs come; answers the checks. */
export async function runChaos({ seed, plan }: ChaosArgs): Promise<Check[]> {
  const began = Date.now();
  const logDir = path.join(root, '.local', 'chaos');
  mkdirSync(logDir, { recursive: true });
  for (const f of readdirSync(logDir).filter((n) => n.endsWith('.log'))) rmSync(path.join(logDir, f));
  const driverLog = path.join(logDir, 'driver.log');
  let t0 = Date.now();
  const log = (line: string) => {
    const text = `t+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s ${line}`;
    console.log(text);
    appendFileSync(driverLog, `[${new Date().toISOString()}] ${text}\n`);
  };

  process.env[TEST_TLS_DIR_ENV] ??= path.join(root, '.local', 'tls');
  const ca = await testTls();
  if (!ca.caPath) throw new Error('the test CA was not written to disk');
  // Fresh secret values each run: whatever the logs and captures show of them is a finding.
  const secret = (what: string) => `chaos-${what}-${randomBytes(12).toString('hex')}`;
  const pats = { old: secret('pool-pat-a'), new: secret('pool-pat-b') };
  // Build (Read) for the scaler's service hook upkeep; full access for the operator's own setup (hook:create).
  const hooksPat = secret('hooks-pat');
  const adminPat = secret('admin-pat');
  const webhookPassword = secret('hook-password');

  const durations = new Map<number, number>();
  const stack = await startEmulatorStack({
    config: chaosConfig(),
    tls: ca,
    random: seededRandom(seed),
    latencies: { ...CHAOS_LATENCIES, jobDuration: (r) => durations.get(r.requestId) ?? 4_000 },
    ado: {
      hookRetryDelaysMs: HOOK_RETRY_DELAYS_MS,
      hookProbationDelaysMs: HOOK_PROBATION_DELAYS_MS,
      tokens: [{ token: pats.old, scopes: POOL_PAT_SCOPES }, { token: hooksPat, scopes: HOOKS_PAT_SCOPES }, adminPat],
      hookLoss: { lossRate: plan.hookLossRate, duplicateRate: plan.hookDuplicateRate, random: seededRandom(seed + 1) },
    },
  });
  const host = hostSupervisor({
    port: await freePort(),
    logDir,
    env: {
      ...process.env,
      ...stack.appSettings,
      SCALER_CONFIG_FILE: '',
      WEBHOOK_USERNAME,
      WEBHOOK_PASSWORD: webhookPassword,
      NODE_EXTRA_CA_CERTS: ca.caPath,
      LOCAL_HOST_LOOPBACK: new URL(stack.keyVault.url).hostname,
      // The function files compiled beside this one.
      LOCAL_HOST_FUNCTIONS: path.join(__dirname, '..', '..', 'functions'),
    },
  });
  // The port is fixed for every incarnation of the host: the subscription names it.
  const hookUrl = `${host.url}/api/webhook`;
  const [org] = stack.orgNames;
  const orgUrl = stack.ado.orgUrl(org!);
  const poolUrl = `${orgUrl}/_apis/distributedtask/pools/${stack.ado.poolId(org!, 'linux')}`;
  const observer = observeAgents(poolUrl, adminPat, 500);
  try {
    stack.keyVault.setSecret('ado-pat', pats.old);
    stack.keyVault.setSecret('ado-hooks-pat', hooksPat);
    const first = await host.start();
    log(`host listening on ${host.url} (pid ${first.pid}, ${first.startedInMs} ms); emulators: ${Object.keys(stack.urls).join(', ')}`);
    await createAdoClient({ orgUrl, credential: fixedPatCredential(adminPat, "the operator's PAT") }).ensureJobStateSubscription({
      url: hookUrl,
      username: WEBHOOK_USERNAME,
      password: webhookPassword,
    });
    await host.runTimer('upkeep');
    log('service hook subscribed, placeholders registered');
    const timerMs = UPKEEP_SECONDS * 1000;
    await new Promise((r) => setTimeout(r, (plan.timerPhaseSeconds * 1000 - (Date.now() % timerMs) + timerMs) % timerMs));
    t0 = Date.now();
    log(`jobs start now, ${plan.timerPhaseSeconds} s after a timer tick; times from here on count from this moment`);
    const startedAt = t0;
    const workload = playJobs(planJobs(plan, seededRandom(seed + 2)), stack.ado, org!, 'linux', durations, log);
    const faults = scheduleFaults({ stack, host, plan, secretName: 'ado-pat', oldPat: pats.old, newPat: pats.new, log });
    const lastFault = Math.max(
      plan.patRotation.at + plan.patRotation.revokeAfter,
      plan.serviceBusOutage.from + plan.serviceBusOutage.seconds,
      plan.keyVaultOutage.from + plan.keyVaultOutage.seconds,
    );
    const deadline = startedAt + (plan.arrivalSeconds + plan.drainSeconds) * 1000;
    let lastProgress = 0;
    for (;;) {
      const elapsed = (Date.now() - startedAt) / 1000;
      if (workload.allQueued() && workload.allEnded() && elapsed >= lastFault) break;
      if (Date.now() > deadline) {
        log(`drain time over with jobs still open`);
        break;
      }
      if (elapsed - lastProgress >= 15) {
        lastProgress = elapsed;
        const jobs = stack.ado.jobs();
        const by = (s: string) => jobs.filter((j) => j.state === s).length;
        log(
          `progress: ${workload.requestIds.length} queued, ${by('waiting')} waiting, ${by('running')} running, ${by('finished')} finished; ${stack.containers().length} agents started`,
        );
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    workload.stop();
    await faults.settled();
    faults.stop();
    const endedAt = Date.now();
    log('jobs over; two upkeep runs, one upkeep period apart');
    await host.runTimer('upkeep');
    await new Promise((r) => setTimeout(r, UPKEEP_SECONDS * 1000));
    await host.runTimer('upkeep');
    const statusPage = await fetch(`${host.url}/api/status`).then((r) => r.text());
    await observer.stop();
    const left = await leftovers(stack, poolUrl, adminPat, KEEP_FINISHED);
    await host.stop();
    log('host stopped; searching every log and capture for the secrets');

    const jobs = stack.ado.jobs();
    const observation: ChaosObservation = {
      startedAt,
      endedAt,
      requestIds: workload.requestIds,
      jobs,
      cancels: workload.cancels,
      containers: stack.containers(),
      deliveries: stack.ado.deliveries(),
      busy: busyStops(jobs, stack.ado.requests(), observer.names),
      left,
      deadLetters: classifyDeadLetters(stack.serviceBus.queue(SIGNAL_QUEUE).deadLettered()),
      secrets: await searchSecrets(
        [
          { label: 'the first PAT', value: pats.old },
          { label: 'the rotated PAT', value: pats.new },
          { label: 'the service hooks PAT', value: hooksPat },
          { label: "the operator's PAT", value: adminPat },
          { label: 'the webhook password', value: webhookPassword },
        ],
        [...host.logFiles, driverLog].filter((f) => existsSync(f)),
        stack,
        { statusPage, registrations: observer.registrations },
      ),
    };
    const figures = chaosFigures(observation);
    const evidence = chaosEvidence(stack, faults.record, pats, HOOK_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0) + 15_000);
    // A host that logged from a function ran it (the first line of each is the host's own).
    const hostsServed = host.logFiles.filter(
      (f) => existsSync(f) && /^\[[^\]]+\] (webhook|scheduler|reconcile|upkeep|secret-events) /m.test(readFileSync(f, 'utf8')),
    ).length;
    const checks = chaosChecks(plan, figures, observation, evidence, faults.record, hostsServed);
    console.log(`\n${figuresTable(figures, observation, evidence, Date.now() - began)}\n\n${checkLines(checks)}\n`);
    console.log(`logs: ${path.relative(process.cwd(), logDir)}/ (driver.log, ${host.logFiles.map((f) => path.basename(f)).join(', ')})`);
    return checks;
  } finally {
    await observer.stop();
    await host.stop();
    await stack.close();
  }
}
