import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { LABELS } from '../../src/launchers/launcher';
import { JOB_WAIT_EVENT, PASS_EVENT, recordPrefix, type JobWaitRecord, type PassRecord } from '../../src/log/telemetry-record';
import { SIGNAL_WINDOW_MS } from '../../src/queue/pool-signal';
import { dependencies } from '../../src/runtime/dependencies';
import { startIdentityEmulator, type IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { OffsetClock } from '../helpers/offset-clock';
import { eventually, startScaler, type Scaler, scheduledLook } from './scaler-harness';

// The scheduler end to end, through the unchanged function files (webhook, scheduler, reconcile,
// status) in the local host, the service hook subscribed: what a platform engineer relies on.
// No assertion is about speed (the benchmark measures that): each waits with `eventually`.
// Three scalers, one after the other, share one managed identity endpoint (MSAL fixes it once
// per process). Each runs on a clock shared with its Service Bus, which a test moves past a signal
// window or a grace instead of waiting it out (ADO keeps the wall clock: its times are compared
// with the agents' below).

let identity: IdentityEmulator;
beforeAll(async () => {
  identity = await startIdentityEmulator();
});
afterAll(() => identity?.close());

const load = async () => {
  await import('../../functions/webhook.js');
  await import('../../functions/scheduler.js');
  await import('../../functions/reconcile.js');
  await import('../../functions/status.js');
};

const aci = { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-agents', location: 'westeurope' };
const profile = (name: string, maxAgents: number, standby: unknown[] = []) => ({
  name,
  image: 'contosoacr.azurecr.io/ado-agent:4',
  maxAgents,
  standby,
  launcher: aci,
});
const org = (pools: Array<{ name: string; profiles: unknown[] }>) => ({
  url: 'https://dev.azure.com/contoso',
  auth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
  pools,
});

/**
 * A fixed-offset IANA zone where it is about noon now, so that a window written in it a few
 * minutes ahead never crosses midnight, whenever the tests run.
 */
function noonZone(now: Date): { timeZone: string; offsetHours: number } {
  const offsetHours = 12 - now.getUTCHours();
  // Etc/GMT signs are inverted: Etc/GMT-5 is UTC+5.
  return { timeZone: offsetHours === 0 ? 'Etc/GMT' : `Etc/GMT${offsetHours > 0 ? '-' : '+'}${Math.abs(offsetHours)}`, offsetHours };
}
/** "HH:MM" of `instant` in a zone `offsetHours` east of UTC. */
function localTime(instant: Date, offsetHours: number): string {
  const local = new Date(instant.getTime() + offsetHours * 3_600_000);
  return `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
}

/** Container groups of a pool (tag ado-pool); `live` leaves out those whose container has ended. */
const groupsOf = (scaler: Scaler, pool: string) => scaler.stack.arm.groups().filter((g) => g.body.tags?.[LABELS.pool] === pool);
const live = (scaler: Scaler, pool: string) => groupsOf(scaler, pool).filter((g) => g.container.state !== 'Terminated');
const jobsOf = (scaler: Scaler, pool: string) => scaler.stack.ado.jobs().filter((j) => j.pool === pool);
const container = (scaler: Scaler, name: string) => scaler.stack.containers().find((c) => c.name === name);

async function finished(scaler: Scaler, requestId: number) {
  return eventually(
    () => scaler.stack.ado.jobs().find((j) => j.requestId === requestId && j.state === 'finished'),
    30_000,
    `job request ${requestId} to finish`,
  );
}

/** The telemetry records of one event among log lines (README "Azure Monitor"). */
function records<T>(lines: ReadonlyArray<{ readonly message: string }>, event: string): T[] {
  return lines.filter((l) => l.message.startsWith(recordPrefix(event))).map((l) => JSON.parse(l.message) as T);
}

async function registrations(pool: string): Promise<string[]> {
  const deps = dependencies();
  const ado = await deps.ado(deps.settings.config.organizations[0]!.url.url);
  return (await ado.agents(await ado.poolId(pool))).map((a) => a.name);
}

/** What a scaler runs on here: its clock, shared with its Service Bus. */
const onClock = (clock: OffsetClock) => ({ now: clock.now, serviceBusClock: clock.now });

/**
 * One reconcile sweep, and its passes run to the end: no signal due by the end of the sweep's
 * signal window is still waiting or being handled (its signal may have joined one already sent
 * for that window; a pass that coalesced a signal holds its own message while it passes again).
 * It moves the clock to the next signal window first, so its signals are not duplicates of the last sweep's.
 */
async function sweepAndSettle(scaler: Scaler, clock: OffsetClock): Promise<void> {
  const queue = scaler.stack.serviceBus.queue(SIGNAL_QUEUE);
  const last = scaler
    .signals()
    .filter((s) => s.reason === 'timer')
    .at(-1);
  if (last) clock.advance(last.dueAt - clock.now());
  const windowEnd = clock.now() + SIGNAL_WINDOW_MS;
  await scaler.sweep();
  await eventually(
    () => queue.active().length + queue.locked().length === 0 && queue.scheduled().every((m) => (m.scheduledEnqueueTimeUtc?.getTime() ?? 0) > windowEnd),
    30_000,
    'the passes of the sweep',
  );
}

describe('standby windows and scale-in', () => {
  let scaler: Scaler;
  const clock = new OffsetClock();
  const now = new Date();
  const zone = noonZone(now);
  // A window that opens 5 minutes from now (on a minute), in the noon zone: closed while the tests run.
  const opensAt = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 5 * 60_000);
  const later = {
    from: localTime(opensAt, zone.offsetHours),
    to: localTime(new Date(opensAt.getTime() + 5 * 60_000), zone.offsetHours),
    timeZone: zone.timeZone,
    agents: 1,
  };
  /** Job requests whose agent runs them until the test ends them: they outlast a whole scale-in of another agent. */
  const longJobs = new Set<number>();

  beforeAll(async () => {
    scaler = await startScaler({
      identity,
      ...onClock(clock),
      config: {
        // A window change within the reconcile interval gets a pass of its own (beyond it, a sweep's pass asks again).
        // The idle grace is the default 30 s: a test moves the clock through it.
        reconcile: { intervalSeconds: 600 },
        organizations: [
          org([
            { name: 'warm', profiles: [profile('warm-std', 6, [{ days: '*', from: '00:00', to: '24:00', timeZone: 'UTC', agents: 3 }])] },
            { name: 'later', profiles: [profile('later-std', 2, [later])] },
            { name: 'cancel', profiles: [profile('cancel-std', 2)] },
          ]),
        ],
      },
      latencies: { aciStart: 50, jobDuration: ({ requestId }) => (longJobs.has(requestId) ? 600_000 : 300) },
      load,
    });
  });

  afterAll(() => scaler?.close());

  it('keeps the standby target idle without any job; jobs queued then are taken by those agents, and new standby agents replace them, no more', async () => {
    const { ado } = scaler.stack;
    await sweepAndSettle(scaler, clock);
    const ready = await eventually(
      () => {
        const l = live(scaler, 'warm');
        return l.length === 3 && l.every((g) => scaler.stack.agentPhase(g.name) === 'idle') && l;
      },
      30_000,
      'three idle standby agents',
    );
    expect(jobsOf(scaler, 'warm')).toEqual([]);
    expect(ready.map((g) => g.body.tags?.[LABELS.standby])).toEqual(['true', 'true', 'true']);
    expect((await registrations('warm')).sort()).toEqual(ready.map((g) => g.name).sort());
    expect(
      scaler.logs.some((l) => l.functionName === 'scheduler' && /pool "warm" \(timer\): warm-std: waiting 0, standby 3, .*→ start 3/.test(l.message)),
    ).toBe(true);

    const queued = [1, 2, 3].map(() => {
      const registeredBefore = scaler.stack
        .containers()
        .filter((c) => c.registeredAt !== undefined)
        .map((c) => c.name);
      return { ...ado.queueJob({ pool: 'warm' }), registeredBefore };
    });
    for (const q of queued) {
      const job = await finished(scaler, q.requestId);
      expect(job.result).toBe('succeeded');
      expect(q.registeredBefore).toContain(job.agentName);
    }
    const standbyNames = ready.map((g) => g.name);
    expect(new Set(queued.map((q) => jobsOf(scaler, 'warm').find((j) => j.requestId === q.requestId)!.agentName))).toEqual(new Set(standbyNames));

    // Back to three idle standby agents: new ones, started for the target and tagged so.
    const refilled = await eventually(
      () => {
        const l = live(scaler, 'warm');
        return l.length === 3 && l.every((g) => scaler.stack.agentPhase(g.name) === 'idle') && l;
      },
      30_000,
      'three new idle standby agents',
    );
    expect(refilled.map((g) => g.name).filter((n) => standbyNames.includes(n))).toEqual([]);
    expect(refilled.map((g) => g.body.tags?.[LABELS.standby])).toEqual(['true', 'true', 'true']);
    // No more: another look starts nothing, and six agents were started in all.
    await sweepAndSettle(scaler, clock);
    expect(
      live(scaler, 'warm')
        .map((g) => g.name)
        .sort(),
    ).toEqual(refilled.map((g) => g.name).sort());
    expect(groupsOf(scaler, 'warm')).toHaveLength(6);

    // Azure Monitor: each job's queued → assigned wait once, over all the passes that listed it,
    // on the standby agent that took it; and the pass records count those agents.
    const waits = records<JobWaitRecord>(scaler.logs, JOB_WAIT_EVENT).filter((w) => queued.some((q) => q.requestId === w.requestId));
    expect(waits.map((w) => w.requestId).sort()).toEqual(queued.map((q) => q.requestId).sort());
    for (const w of waits) {
      const job = jobsOf(scaler, 'warm').find((j) => j.requestId === w.requestId)!;
      expect(w).toMatchObject({ pool: 'warm', profile: 'warm-std', agent: job.agentName, jobId: job.jobId });
      expect(w.waitSeconds).toBeGreaterThanOrEqual(0);
    }
    const passes = records<PassRecord>(scaler.logs, PASS_EVENT).filter((r) => r.pool === 'warm');
    expect(passes.length).toBeGreaterThan(0);
    expect(passes.some((r) => r.profiles.some((p) => p.profile === 'warm-std' && p.standby === 3 && p.started > 0))).toBe(true);
  });

  it("schedules the pool's next look at the moment its standby window opens, and keeps no agent before then", async () => {
    await sweepAndSettle(scaler, clock);
    // Every pass asks for the same look; the queue keeps one (an earlier sweep's pass may have asked first).
    const looks = await eventually(
      () => {
        const scheduled = scaler.signals().filter((s) => s.pool === 'later' && s.reason === 'scheduled');
        return scheduled.length > 0 && scheduled;
      },
      10_000,
      "the look at the window's opening",
    );
    // Signals are delivered at the end of their signal window: the opening, or within one window after it.
    expect(looks).toHaveLength(1);
    expect(looks[0]!.dueAt).toBeGreaterThanOrEqual(opensAt.getTime());
    expect(looks[0]!.dueAt).toBeLessThanOrEqual(opensAt.getTime() + SIGNAL_WINDOW_MS);
    expect(groupsOf(scaler, 'later')).toEqual([]);
  });

  it('stops an idle agent whose job was cancelled once the grace has passed, without a further event or sweep, and never an agent running a job', async () => {
    const { ado, arm } = scaler.stack;
    const long = ado.queueJob({ pool: 'cancel' });
    longJobs.add(long.requestId);
    const busy = await eventually(
      () => jobsOf(scaler, 'cancel').find((j) => j.requestId === long.requestId && j.state === 'running'),
      30_000,
      'the long job to run',
    );
    const keeper = busy.agentName!;
    ado.setScheduling(false); // the next job waits for its agent until it is cancelled
    let idle: string;
    try {
      const doomed = ado.queueJob({ pool: 'cancel' });
      idle = await eventually(
        () => live(scaler, 'cancel').find((g) => g.name !== keeper && scaler.stack.agentPhase(g.name) === 'idle')?.name,
        30_000,
        'an agent registered for the second job',
      );
      expect(await registrations('cancel')).toContain(idle);
      const sweeps = dependencies().counters.get('sweeps');
      const logMark = scaler.logs.length;
      const deliveryMark = ado.deliveries().length;
      const signalMark = scaler.signals().length;

      ado.cancelJob(doomed.requestId);

      // The cancellation's pass keeps the agent through the grace and asks for a look when it
      // ends; the clock moves there instead of the test waiting the grace out.
      const look = await scheduledLook(scaler, 'cancel', signalMark, "the look at the grace's end");
      expect(look.dueAt - clock.now()).toBeGreaterThan(SIGNAL_WINDOW_MS);
      expect(arm.groups().some((g) => g.name === idle)).toBe(true);
      clock.advance(look.dueAt - clock.now());

      await eventually(
        async () => !arm.groups().some((g) => g.name === idle) && !(await registrations('cancel')).includes(idle),
        30_000,
        'the idle agent to be stopped',
      );
      // The cancellation's own event was the last: no sweep, no other event brought the stop.
      expect(dependencies().counters.get('sweeps')).toBe(sweeps);
      expect(
        ado
          .deliveries()
          .slice(deliveryMark)
          .map((d) => [d.requestId, d.jobState]),
      ).toEqual([[doomed.requestId, 'completed']]);
      expect(scaler.logs.slice(logMark).some((l) => l.message.includes(`stopped idle agent ${idle}`))).toBe(true);
      expect(await eventually(() => container(scaler, idle)?.exitCode, 10_000, 'the stopped agent to exit')).toBe(143);
    } finally {
      ado.setScheduling(true);
    }

    // The busy agent was left to finish: its job still runs on it after the other agent was gone,
    // and succeeds on it when ADO ends it.
    expect(ado.jobs().find((j) => j.requestId === long.requestId)).toMatchObject({ state: 'running', agentName: keeper });
    ado.finishJob(long.requestId);
    const done = await finished(scaler, long.requestId);
    expect(done).toMatchObject({ result: 'succeeded', agentName: keeper });
    expect(arm.requests().filter((r) => r.method === 'DELETE' && r.path.endsWith(`/${keeper}`))).toEqual([]);
    expect(await eventually(() => container(scaler, keeper)?.exitCode, 10_000, 'the busy agent to exit')).toBe(0);
    expect(Date.parse(done.finishTime!)).toBeGreaterThan(container(scaler, idle)!.exitedAt!);
  });
});

describe('every service hook delivery lost', () => {
  let scaler: Scaler;

  beforeAll(async () => {
    scaler = await startScaler({
      identity,
      config: { organizations: [org([{ name: 'lossy', profiles: [profile('lossy-std', 2)] }])] },
      ado: { hookLoss: { lossRate: 1, duplicateRate: 0 } },
      latencies: { aciStart: 50, jobDuration: 200 },
      load,
    });
  });

  afterAll(() => scaler?.close());

  it('serves a waiting job after one sweep', async () => {
    const { ado } = scaler.stack;
    expect(ado.subscriptions()).toHaveLength(1);
    const job = ado.queueJob({ pool: 'lossy' });
    await ado.deliveriesSettled();
    const deliveries = ado.deliveries().filter((d) => d.requestId === job.requestId);
    expect(deliveries.map((d) => [d.jobState, d.outcome])).toEqual([['waiting', 'lost']]);
    expect(scaler.signals()).toEqual([]);
    expect(dependencies().counters.get('sweeps')).toBe(0);

    await scaler.sweep();

    const served = await finished(scaler, job.requestId);
    expect(served.result).toBe('succeeded');
    expect(groupsOf(scaler, 'lossy').map((g) => g.name)).toEqual([served.agentName]);
    expect(scaler.signals().filter((s) => s.reason === 'event')).toEqual([]);
    expect(dependencies().counters.get('sweeps')).toBe(1);
    expect(scaler.logs.some((l) => l.functionName === 'scheduler' && l.message.includes('pool "lossy" (timer)'))).toBe(true);
  });
});

describe('agents that cannot register', () => {
  let scaler: Scaler;
  const clock = new OffsetClock();
  const AGENT_PAT = 'agents-pat-revoked';

  beforeAll(async () => {
    scaler = await startScaler({
      identity,
      ...onClock(clock),
      config: { organizations: [org([{ name: 'broken', profiles: [profile('broken-std', 3)] }])] },
      latencies: { aciStart: 50, jobDuration: 200 },
      load,
    });
    // The PAT handed to agents is revoked; the scaler's own PAT (from Key Vault) still works.
    scaler.stack.ado.addToken(AGENT_PAT);
    scaler.stack.ado.revokeToken(AGENT_PAT);
    vi.spyOn(await dependencies().scheduler(), 'agentToken').mockResolvedValue(AGENT_PAT);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await scaler?.close();
  });

  it('back the profile off: /api/status says why and until when, the log names the profile, and no agent starts while it lasts', async () => {
    const { ado } = scaler.stack;
    const jobs = [1, 2, 3].map(() => ado.queueJob({ pool: 'broken' }));
    const status = await eventually(
      async () => {
        await sweepAndSettle(scaler, clock);
        const s = await scaler.status();
        return s.profiles.find((p) => p.profile === 'broken-std' && p.backoff) && s;
      },
      45_000,
      'the profile to back off',
    );
    const broken = status.profiles.find((p) => p.profile === 'broken-std')!;
    expect(broken.backoff!.reason).toMatch(
      /^\d+ agents in a row exited \(code 1\) without taking a job, the last ado-broken-.*; no agent starts until .*: check the PAT in Key Vault/,
    );
    expect(Date.parse(broken.backoff!.until)).toBeGreaterThan(clock.now());
    expect(broken.backoff!.reason).toContain(broken.backoff!.until);
    const failures = scaler.stack.containers().filter((c) => c.exitCode === 1);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures.every((c) => c.registeredAt === undefined)).toBe(true);
    // The scaler's own calls were accepted all along; only the agents' registrations were refused.
    expect(ado.requests().filter((r) => r.status === 401 && !r.userAgent?.startsWith('VstsAgentCore'))).toEqual([]);

    // While it lasts: another look starts nothing, says why, and the jobs keep waiting.
    const started = scaler.stack.containers().length;
    const logMark = scaler.logs.length;
    await sweepAndSettle(scaler, clock);
    expect(scaler.stack.containers()).toHaveLength(started);
    const lines = scaler.logs.slice(logMark).filter((l) => l.functionName === 'scheduler');
    expect(
      lines.some(
        (l) => l.level === 'warning' && l.message.startsWith('scheduler: profile broken-std in pool "broken": ') && l.message.includes('without taking a job'),
      ),
    ).toBe(true);
    expect(lines.some((l) => /pool "broken" \(timer\): broken-std: waiting 3, .*→ start 0, stop 0 \(held back by backoff\)/.test(l.message))).toBe(true);
    // Azure Monitor: the pass record says the profile backs off, why and until when (the "profile in back-off" alert).
    const backoff = records<PassRecord>(lines, PASS_EVENT)
      .find((r) => r.pool === 'broken')
      ?.profiles.find((p) => p.profile === 'broken-std');
    expect(backoff).toMatchObject({ waiting: 3, start: 0, heldBack: 'backoff', backoff: 'crashLoop', backoffUntil: broken.backoff!.until });
    expect(backoff!.backoffReason).toContain('without taking a job');
    expect(scaler.logs.map((l) => l.message).join('\n')).not.toContain(AGENT_PAT);
    expect(jobs.map((j) => ado.jobs().find((x) => x.requestId === j.requestId)?.state)).toEqual(['waiting', 'waiting', 'waiting']);
  });
});
