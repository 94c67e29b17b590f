import { ConfigError, type ConfigProblem } from '../../src/config/config-error';
import { parseConfig, SIGNAL_QUEUE } from '../../src/config/load-settings';
import type { ScalerConfig } from '../../src/config/schema';
import { ANNOTATIONS } from '../../src/launchers/aks/aks-manifest';
import { LABELS } from '../../src/launchers/launcher';
import { parsePoolSignal } from '../../src/queue/pool-signal';
import { dependencies, resetDependencies } from '../../src/runtime/dependencies';
import { SIMULATED_AGENT_USER_AGENT } from '../../emulators/agent/agent-http';
import { startEmulatorStack, type EmulatorStack } from '../local-stack/emulator-stack';
import type { IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { seededRandom } from '../../emulators/core/latency';
import type { TestTls } from '../../emulators/core/test-ca';
import { subscribeWebhook } from '../local-stack/webhook-subscription';
import { installFunctionsCoreShim } from '../local-host/functions-core-shim';
import type { LogSink } from '../local-host/invocation';
import { startLocalHost } from '../local-host/local-host';
import type { RunObservation } from './figures';
import { startKedaBaseline } from './keda-baseline';
import { threeProfileConfig } from './scenarios';
import { latencyMs, type Trace } from './trace';

export interface RunOptions {
  readonly system: 'scaler' | 'baseline';
  /** The KEDA-like baseline's polling interval, model seconds (KEDA's default: 30). */
  readonly pollSeconds: number;
  /** Seeds every latency drawn in the run, so both systems meet the same world. */
  readonly seed: number;
  /** How often a simulated agent asks ADO for its job, model ms; real agents hold a long poll. */
  readonly agentPollMs: number;
  /** How long ADO waits for the webhook to answer a delivery, in model time; the emulator's 10 s when absent. */
  readonly hookTimeoutMs?: number;
  readonly tls?: TestTls;
  /** One managed identity endpoint for every run of the process (see EmulatorStackOptions.identity). */
  readonly identity: IdentityEmulator;
  /**
   * Start the trace clear of the timers' minute ticks (the sweep runs on the minute): a burst
   * queued just as a sweep runs would be found by it instead of by its events, by chance.
   * Waits up to 15 s of model time; off where the clock is the wall clock (tests).
   */
  readonly clearOfTimerTicks?: boolean;
  /** Every log line of the functions, the baseline and the run. */
  readonly log: LogSink;
}

const WEBHOOK_USERNAME = 'bench-hook';
const WEBHOOK_PASSWORD = 'bench-webhook-password-0123456789';
let functionsLoaded: Promise<unknown> | undefined;

/** Parses the trace's configuration document, or the three-profile default, reporting every problem. */
export function traceConfig(trace: Trace): { document: unknown; config: ScalerConfig } {
  const document = trace.config ?? threeProfileConfig();
  const problems: ConfigProblem[] = [];
  const config = parseConfig(document, problems);
  if (!config) throw new ConfigError(problems);
  return { document, config };
}

/**
 * Plays a trace against a fresh emulator stack with one system deciding which agents start:
 * the scaler (its real functions in the local host: webhook, scheduler, reconcile and upkeep on
 * their schedules) or the KEDA-like baseline. Answers what happened, in model time.
 */
export async function runTrace(trace: Trace, options: RunOptions): Promise<RunObservation> {
  const { document, config } = traceConfig(trace);
  const random = seededRandom(options.seed);
  const durations = new Map<number, number>();
  const { aciStart, aksStart, agentRegistration } = trace.latencies;
  const { hookLossRate, hookDuplicateRate, aciCreateLimit, armThrottle } = trace.faults;
  const stack = await startEmulatorStack({
    config: document,
    ...(options.tls ? { tls: options.tls } : {}),
    identity: options.identity,
    random,
    latencies: {
      ...(aciStart !== undefined ? { aciStart: latencyMs(aciStart) } : {}),
      ...(aksStart !== undefined ? { aksStart: latencyMs(aksStart) } : {}),
      ...(agentRegistration !== undefined ? { agentRegistration: latencyMs(agentRegistration) } : {}),
      jobDuration: (request) => durations.get(request.requestId) ?? 1_000,
      agentPollMs: options.agentPollMs,
    },
    ...(aciCreateLimit ? { aciCreateRateLimit: { count: aciCreateLimit.count, windowMs: aciCreateLimit.windowSeconds * 1000 } } : {}),
    ado: {
      ...(options.hookTimeoutMs !== undefined ? { hookTimeoutMs: options.hookTimeoutMs } : {}),
      ...(hookLossRate > 0 || hookDuplicateRate > 0
        ? { hookLoss: { lossRate: hookLossRate, duplicateRate: hookDuplicateRate, random: seededRandom(options.seed + 1) } }
        : {}),
    },
  });
  Object.assign(process.env, stack.appSettings, { WEBHOOK_USERNAME, WEBHOOK_PASSWORD });
  delete process.env.SCALER_CONFIG_FILE;
  await resetDependencies();
  const system = options.system === 'scaler' ? await startScalerSystem(stack, options.log) : startBaselineSystem(options);
  try {
    if (options.clearOfTimerTicks) await clearOfMinuteTick();
    const startedAt = Date.now();
    const before = requestCounts(stack);
    const played = playTrace(trace, stack, durations);
    if (armThrottle) {
      for (const at of armThrottle.at) {
        setTimeout(
          () =>
            stack.arm.injectFault({
              status: 429,
              count: armThrottle.count,
              retryAfterSeconds: armThrottle.retryAfterSeconds,
              method: 'PUT',
              pathContains: 'containerGroups',
            }),
          at * 1000,
        );
      }
    }
    const lastArrival = Math.max(...trace.jobs.map((j) => j.at));
    const deadline = startedAt + (lastArrival + trace.drainSeconds) * 1000;
    /** Container (agent) name → "pool/profile", from its tags or labels. */
    const profileOf = new Map<string, string>();
    for (;;) {
      noteProfiles(stack, profileOf);
      if (played.allQueued() && played.allEnded()) break;
      if (Date.now() > deadline) {
        const open = stack.ado.jobs().filter((j) => j.state !== 'finished');
        options.log(
          'warning',
          'bench',
          `${trace.name}/${options.system}: drain time over with jobs still open: ${open.map((j) => `${j.requestId} ${j.state}`).join(', ')}`,
        );
        break;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const endedAt = Date.now();
    logDeliveries(stack, (message) => options.log('information', 'bench', `${trace.name}/${options.system}: ${message}`));
    const after = requestCounts(stack);
    const counts = {
      adoCalls: after.adoCalls - before.adoCalls,
      computeWrites: after.computeWrites - before.computeWrites,
      keyVaultReads: after.keyVaultReads - before.keyVaultReads,
    };
    await system.cleanUp();
    noteProfiles(stack, profileOf);
    return {
      system: options.system,
      startedAt,
      endedAt,
      jobs: played.jobs(options.system === 'scaler' ? firstLooks(stack) : () => ({ byTimer: true }), options.system === 'scaler', (agent) =>
        profileOf.get(agent),
      ),
      agents: stack.containers().map((c) => {
        const key = profileOf.get(c.name);
        const profile = config.organizations.flatMap((o) => o.pools.flatMap((pool) => pool.profiles.filter((p) => profileKey(pool.name, p.name) === key)))[0];
        return {
          ...(key !== undefined ? { profile: key } : {}),
          createdAt: c.createdAt,
          ...(c.registeredAt !== undefined ? { registeredAt: c.registeredAt } : {}),
          ...(c.exitedAt !== undefined ? { exitedAt: c.exitedAt } : {}),
          ...(c.jobStartedAt !== undefined ? { jobStartedAt: c.jobStartedAt } : {}),
          cpu: profile?.cpu ?? 1,
          memoryGb: profile?.memoryGb ?? 2,
        };
      }),
      ...counts,
      deadLettered: stack.serviceBus.queue(SIGNAL_QUEUE).deadLettered().length,
      left: await leftBehind(stack),
    };
  } finally {
    await system.stop();
    await resetDependencies();
    await stack.close();
  }
}

/** From 50 s past a minute to 5 s past the next, waits until then. */
async function clearOfMinuteTick(): Promise<void> {
  const second = (Date.now() / 1000) % 60;
  if (second >= 5 && second < 50) return;
  await new Promise((r) => setTimeout(r, ((65 - second) % 60) * 1000));
}

interface System {
  cleanUp(): Promise<void>;
  stop(): Promise<void>;
}

async function startScalerSystem(stack: EmulatorStack, log: LogSink): Promise<System> {
  installFunctionsCoreShim();
  functionsLoaded ??= Promise.all([
    import('../../functions/webhook.js'),
    import('../../functions/scheduler.js'),
    import('../../functions/reconcile.js'),
    import('../../functions/upkeep.js'),
  ]);
  await functionsLoaded;
  const host = await startLocalHost({ port: 0, scheduleTimers: true, log });
  const deps = dependencies();
  await subscribeWebhook(stack, { url: `${host.url}/api/webhook`, username: WEBHOOK_USERNAME, password: WEBHOOK_PASSWORD });
  // As `npm start` does: placeholders before the first job, not at the first timer tick.
  await host.timers.run('upkeep');
  return {
    async cleanUp() {
      // Two runs one upkeep period apart, as the timer would make them: marks need time to age.
      await host.timers.run('upkeep');
      await new Promise((r) => setTimeout(r, deps.settings.config.upkeep.intervalSeconds * 1000));
      await host.timers.run('upkeep');
    },
    stop: () => host.close(),
  };
}

function startBaselineSystem(options: RunOptions): System {
  const baseline = startKedaBaseline(dependencies(), options.pollSeconds * 1000, (message) => options.log('warning', 'keda-baseline', message));
  return { cleanUp: () => baseline.stop().then(() => baseline.cleanUp()), stop: () => baseline.stop() };
}

/** Queues each job at its time and cancels those the trace cancels, if still waiting then. */
function playTrace(trace: Trace, stack: EmulatorStack, durations: Map<number, number>) {
  const [orgName] = stack.orgNames;
  const requestIds: Array<number | undefined> = [];
  const cancelled = new Set<number>();
  trace.jobs.forEach((job, i) => {
    setTimeout(() => {
      const { requestId } = stack.ado.queueJob({ org: orgName, pool: job.pool, demands: job.demands });
      durations.set(requestId, job.durationSeconds * 1000);
      requestIds[i] = requestId;
      if (job.cancelAfterSeconds === undefined) return;
      setTimeout(() => {
        if (stack.ado.jobs().find((j) => j.requestId === requestId)?.state !== 'waiting') return;
        stack.ado.cancelJob(requestId);
        cancelled.add(i);
      }, job.cancelAfterSeconds * 1000);
    }, job.at * 1000);
  });
  const views = () => new Map(stack.ado.jobs().map((j) => [j.requestId, j]));
  return {
    allQueued: () => requestIds.filter((r) => r !== undefined).length === trace.jobs.length,
    allEnded: () => {
      const byId = views();
      return requestIds.every((r) => r !== undefined && byId.get(r)?.state === 'finished');
    },
    jobs(
      firstLook: (pool: string, queuedAt: number) => { readonly at?: number; readonly byTimer: boolean },
      subscribed: boolean,
      profileOf: (agentName: string) => string | undefined,
    ): RunObservation['jobs'] {
      const byId = views();
      const announced = new Set(
        stack.ado
          .deliveries()
          .filter((d) => d.jobState === 'waiting' && d.outcome === 'delivered')
          .map((d) => d.requestId),
      );
      return trace.jobs.flatMap((_, i) => {
        const view = byId.get(requestIds[i] ?? -1);
        if (!view) return [];
        const profile = view.agentName !== undefined ? profileOf(view.agentName) : undefined;
        return [
          {
            queuedAt: Date.parse(view.queueTime),
            ...(view.assignTime ? { assignedAt: Date.parse(view.assignTime) } : {}),
            ...(view.finishTime ? { finishedAt: Date.parse(view.finishTime) } : {}),
            ...(view.result ? { result: view.result } : {}),
            cancelled: cancelled.has(i),
            ...lookOf(firstLook(view.pool, Date.parse(view.queueTime))),
            unannounced: subscribed && !announced.has(view.requestId),
            ...(profile !== undefined ? { profile } : {}),
          },
        ];
      });
    },
  };
}

/**
 * Per job, from the signals the queue accepted (one per pool and window, each due at its
 * window's end): when the first pass of its pool after it was queued came, and whether the
 * reconcile timer brought it. A timer signal raised before the job existed (its window also
 * held the job's own event, which duplicate detection folded into it) does not count as the
 * timer finding the job.
 */
function firstLooks(stack: EmulatorStack): (pool: string, queuedAt: number) => { readonly at?: number; readonly byTimer: boolean } {
  const looks = stack.serviceBus
    .queue(SIGNAL_QUEUE)
    .accepted()
    .flatMap((m) => {
      const parsed = parsePoolSignal(m.body);
      if (!parsed.ok) return [];
      const { pool, reason, observedAt } = parsed.signal;
      return [{ pool: pool.toLowerCase(), reason, raisedAt: Date.parse(observedAt), dueAt: (m.scheduledEnqueueTimeUtc ?? m.enqueuedTimeUtc).getTime() }];
    })
    .sort((a, b) => a.dueAt - b.dueAt);
  return (pool, queuedAt) => {
    const first = looks.find((l) => l.pool === pool.toLowerCase() && l.dueAt >= queuedAt);
    return first ? { at: first.dueAt, byTimer: first.reason === 'timer' && first.raisedAt >= queuedAt } : { byTimer: false };
  };
}

function lookOf(look: { readonly at?: number; readonly byTimer: boolean }): { foundByTimer: boolean; firstLookAt?: number } {
  return { foundByTimer: look.byTimer, ...(look.at !== undefined ? { firstLookAt: look.at } : {}) };
}

/** What ADO's deliveries of the service hook met, by outcome and status: a probation loses events. */
function logDeliveries(stack: EmulatorStack, log: (message: string) => void): void {
  const counts = new Map<string, number>();
  for (const d of stack.ado.deliveries()) {
    const key = `${d.outcome}${d.status !== null ? ` ${d.status}` : ''}${d.error ? ` (${d.error.slice(0, 80)})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size > 0) log(`service hook deliveries: ${[...counts].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
}

/** How the bench names a profile: pool and profile, since profile names are unique only within a pool. */
export function profileKey(pool: string, profile: string): string {
  return `${pool.toLowerCase()}/${profile}`;
}

/**
 * Which profile each container belongs to, from its tags or labels (the exact pool from the
 * group's tag or the Job's annotation), seen while it exists.
 */
function noteProfiles(stack: EmulatorStack, profileOf: Map<string, string>): void {
  for (const g of stack.arm.groups()) {
    const profile = g.body.tags?.[LABELS.profile];
    const pool = g.body.tags?.[LABELS.pool];
    if (profile && pool) profileOf.set(g.name, profileKey(pool, profile));
  }
  for (const j of stack.kubernetes.jobs()) {
    const profile = j.metadata.labels?.[LABELS.profile];
    const pool = j.metadata.annotations?.[ANNOTATIONS.pool];
    if (profile && pool) profileOf.set(j.metadata.name, profileKey(pool, profile));
  }
}

/** Calls the system under test made: ADO (not the agents'), ARM and Kubernetes writes, Key Vault reads. */
function requestCounts(stack: EmulatorStack): { adoCalls: number; computeWrites: number; keyVaultReads: number } {
  const write = (method: string) => method !== 'GET' && method !== 'HEAD';
  return {
    adoCalls: stack.ado.requests().filter((r) => !r.userAgent?.startsWith(SIMULATED_AGENT_USER_AGENT)).length,
    computeWrites: stack.arm.requests().filter((r) => write(r.method)).length + stack.kubernetes.requests().filter((r) => write(r.method)).length,
    keyVaultReads: stack.keyVault.requests().filter((r) => r.method === 'GET' && r.status === 200).length,
  };
}

/** Containers still running, finished ones kept, and agent registrations other than placeholders. */
async function leftBehind(stack: EmulatorStack): Promise<RunObservation['left']> {
  const groups = stack.arm.groups();
  const jobs = stack.kubernetes.jobs();
  const jobDone = (j: (typeof jobs)[number]) => ((j.status.succeeded as number | undefined) ?? 0) + ((j.status.failed as number | undefined) ?? 0) > 0;
  let registrations = 0;
  const deps = dependencies();
  for (const org of deps.settings.config.organizations) {
    const ado = await deps.ado(org.url.url);
    for (const pool of org.pools) {
      const agents = await ado.agents(await ado.poolId(pool.name));
      registrations += agents.filter((a) => !a.name.startsWith('placeholder-')).length;
    }
  }
  return {
    liveContainers: groups.filter((g) => g.container.state !== 'Terminated').length + jobs.filter((j) => !jobDone(j)).length,
    finishedContainers: groups.filter((g) => g.container.state === 'Terminated').length + jobs.filter(jobDone).length,
    registrations,
  };
}
