import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OrganizationConfig, PoolConfig } from '../../src/config/schema';
import { dependencies } from '../../src/runtime/dependencies';
import { passPool, type PassDeps } from '../../src/scheduler/pool-pass';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';

// The scheduler's pass driven directly, pass by pass, against the emulators with the real SDK
// clients: what each pass reads, starts and stops. ADO's automatic assignment is switched off
// where a test needs supply to stay put between two passes.
let scaler: Scaler;
let org: OrganizationConfig;
let dotnet: PoolConfig;
const GRACE = 30_000;
let offsetMs = 0;
let lines: string[] = [];

async function deps(overrides: Partial<PassDeps> = {}): Promise<PassDeps> {
  const d = dependencies();
  const scheduler = await d.scheduler();
  return {
    ado: (orgUrl) => d.ado(orgUrl),
    launcher: (p) => scheduler.launcher(p),
    agentToken: (o) => scheduler.agentToken(o),
    log: {
      info: (m: unknown) => lines.push(`info ${String(m)}`),
      warn: (m: unknown) => lines.push(`warn ${String(m)}`),
      error: (m: unknown) => lines.push(`error ${String(m)}`),
    },
    now: () => Date.now() + offsetMs,
    graceMs: GRACE,
    ...overrides,
  };
}
const pass = async (overrides: Partial<PassDeps> = {}) => passPool(org, dotnet, await deps(overrides));
const jobs = () => scaler.stack.ado.jobs().filter((j) => j.pool === 'dotnet');
const live = () => scaler.stack.arm.groups().filter((g) => g.body.tags?.['ado-pool'] === 'dotnet' && g.container.state !== 'Terminated');

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig({ dotnetMax: 3 }),
    latencies: { jobDuration: 300 },
    load: async () => {
      await import('../../functions/upkeep.js');
    },
  });
  await scaler.host.timers.run('upkeep'); // placeholders, so that ADO lists matchedAgents
  org = dependencies().settings.config.organizations[0]!;
  dotnet = org.pools.find((p) => p.name === 'dotnet')!;
});

afterAll(() => scaler?.close());

beforeEach(async () => {
  lines = [];
  offsetMs = 0;
  scaler.stack.ado.setScheduling(true);
  for (const j of jobs().filter((x) => x.state === 'waiting')) scaler.stack.ado.cancelJob(j.requestId);
  // Passes far past every grace stop what an earlier test left idle.
  offsetMs = 10 * GRACE;
  await eventually(async () => (await pass(), live().length === 0), 20_000, 'a quiet pool');
  offsetMs = 0;
});

describe('scheduler pass', () => {
  it('starts one agent per waiting job up to maxAgents, none again on the next pass, and the rest as slots free', async () => {
    scaler.stack.ado.setScheduling(false);
    const queued = Array.from({ length: 5 }, () => scaler.stack.ado.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] }));
    const first = await pass();
    expect(first.plan.profiles[0]).toMatchObject({ profile: 'dotnet-8', waiting: 5, start: 3, heldBack: 'maxAgents' });
    expect(first.started).toHaveLength(3);
    const second = await pass();
    expect(second.plan.profiles[0]).toMatchObject({ waiting: 5, start: 0 });
    expect(second.started).toEqual([]);
    expect(live()).toHaveLength(3);

    scaler.stack.ado.setScheduling(true);
    await eventually(
      async () => {
        await pass();
        return queued.every((q) => jobs().find((j) => j.requestId === q.requestId)?.result === 'succeeded');
      },
      30_000,
      'every job served, pass after pass',
    );
    // Five jobs, five agents: never one for a job that already had one.
    const names = new Set(
      jobs()
        .filter((j) => queued.some((q) => q.requestId === j.requestId))
        .map((j) => j.agentName),
    );
    expect(names.size).toBe(5);
    expect(scaler.stack.arm.groups().filter((g) => g.body.tags?.['ado-pool'] === 'dotnet')).toHaveLength(5);
  });

  it('stops an agent whose job was cancelled once its grace has passed, and never a busy one', async () => {
    scaler.stack.ado.setScheduling(false);
    const cancelled = scaler.stack.ado.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] });
    const kept = scaler.stack.ado.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] });
    const [a, b] = (await pass()).started;
    const ado = await dependencies().ado(org.url.url);
    const online = async () => (await ado.agents(await ado.poolId('dotnet'))).filter((x) => x.online && [a, b].includes(x.name)).length;
    await eventually(async () => (await online()) === 2, 20_000, 'both agents registered');
    scaler.stack.ado.cancelJob(cancelled.requestId);
    scaler.stack.ado.assignJob(kept.requestId, b!);

    const within = await pass();
    expect(within.plan.profiles[0]).toMatchObject({ waiting: 0, idle: 1, busy: 1, stop: [] });
    expect(within.nextPassAt).toBeGreaterThan(Date.now());
    expect(within.nextPassAt! - Date.now()).toBeLessThanOrEqual(GRACE);

    offsetMs = GRACE;
    const after = await pass();
    expect(after.stopped).toEqual([a]);
    expect(scaler.stack.arm.groups().some((g) => g.name === a)).toBe(false);
    expect(live().map((g) => g.name)).toEqual([b]);
    expect(scaler.stack.ado.jobs().find((j) => j.requestId === kept.requestId)?.state).toBe('running');
    scaler.stack.ado.finishJob(kept.requestId);
  });

  it('backs a profile off when its agents keep exiting before a job, and says why', async () => {
    scaler.stack.ado.setScheduling(true);
    scaler.stack.ado.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] });
    const revoked = { agentToken: () => Promise.resolve('revoked-pat') };
    await eventually(async () => Object.keys((await pass(revoked)).crashLoops).length > 0, 30_000, 'the crash loop to be noticed');
    const result = await pass(revoked);
    expect(result.crashLoops['dotnet-8']?.reason).toMatch(/agents in a row exited \(code 1\) without taking a job/);
    expect(result.plan.profiles[0]).toMatchObject({ start: 0, heldBack: 'backoff' });
    expect(result.nextPassAt).toBe(result.crashLoops['dotnet-8']!.backedOffUntil);
    expect(lines.some((l) => l.startsWith('warn') && l.includes('profile dotnet-8') && !l.includes('revoked-pat'))).toBe(true);
    // Clean up for the next test: the failed containers go, the job is cancelled.
    const launcher = await (await dependencies().scheduler()).launcher(dotnet.profiles[0]!);
    for (const a of await launcher.list({ pool: 'dotnet' })) await launcher.delete(a.name);
  });
});
