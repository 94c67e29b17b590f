import { randomUUID } from 'node:crypto';
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import type { OrganizationConfig } from '../../src/config/schema';
import { isAgentNameOf } from '../../src/launchers/agent-name';
import type { PoolSignal } from '../../src/queue/pool-signal';
import { dependencies } from '../../src/runtime/dependencies';
import type { CounterName } from '../../src/metrics/counters';
import type { JobView } from '../../emulators/ado/ado-emulator';
import type { ContainerRecord } from '../../scripts/local-stack/emulator-stack';
import { seededRandom } from '../../emulators/core/latency';
import { eventually, startScaler, type Scaler } from './scaler-harness';

// docs/design.md, invariant 4 — capacity holds at every instant: busy + starting + idle never exceeds a
// profile's maxAgents (nor an organization's maxParallelJobs), with many instances running — and
// invariant 1's "duplicate events, overlapping signals, redelivered messages and crashed passes
// never start extra agents". Four consumers of the signal queue (the local host and three more,
// each with up to 16 concurrent invocations) pass the same pools while a burst of short jobs
// runs; extra sweeps, redelivered hook events, the same signal sent several times at once and
// an instance that stops mid-burst (its messages come back after their lock) make passes
// overlap. Afterwards the agent timelines say how many agents were alive at each instant.

const aci = { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-agents', location: 'westeurope' };
const auth = { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' };
const profile = (name: string, maxAgents: number, launcher: Record<string, string> = aci) => ({
  name,
  image: 'contosoacr.azurecr.io/ado-agent:4',
  maxAgents,
  launcher,
});

/**
 * contoso: one pool, a profile of 4 agents at most. fabrikam: two pools of 4 each, but 3 parallel
 * jobs for the organization; the pools' profiles launch into different ACI resource groups, so
 * each pool's launcher alone does not see the other's agents.
 */
const BURST = { pool: 'burst', profile: 'burst-small', maxAgents: 4, jobs: 30 };
const CAPPED = { maxParallelJobs: 3, pools: ['alpha', 'beta'], maxAgents: 4, jobsPerPool: 10 };

let scaler: Scaler;
let sbClient: ServiceBusClient;
let sender: ServiceBusSender;

beforeAll(async () => {
  scaler = await startScaler({
    config: {
      organizations: [
        { url: 'https://dev.azure.com/contoso', auth, pools: [{ name: BURST.pool, profiles: [profile(BURST.profile, BURST.maxAgents)] }] },
        {
          url: 'https://dev.azure.com/fabrikam',
          auth,
          maxParallelJobs: CAPPED.maxParallelJobs,
          pools: CAPPED.pools.map((name) => ({ name, profiles: [profile(`${name}-std`, CAPPED.maxAgents, { ...aci, resourceGroup: `rg-${name}` })] })),
        },
      ],
    },
    // Jittered starts and registrations, short jobs: agents come and go out of step.
    latencies: {
      aciStart: { kind: 'uniform', minMs: 30, maxMs: 600 },
      agentRegistration: { kind: 'uniform', minMs: 0, maxMs: 250 },
      jobDuration: { kind: 'uniform', minMs: 80, maxMs: 500 },
    },
    random: seededRandom(4),
    // A message whose instance stops mid-pass comes back soon to another consumer.
    lockDurationMs: 2_000,
    // Room for the hook deliveries that meet the host while it is replaced.
    hookRetryDelaysMs: [50, 100, 200, 400, 800, 1_600],
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/scheduler.js');
      await import('../../functions/reconcile.js');
    },
  });
  // Four instances receive the signal queue: the host's own consumer and three more.
  scaler.addConsumers(3, 16);
  sbClient = new ServiceBusClient(scaler.stack.serviceBus.connectionString);
  sender = sbClient.createSender(SIGNAL_QUEUE);
});

afterAll(async () => {
  await sender?.close();
  await sbClient?.close();
  await scaler?.close();
});

interface Lifetime {
  readonly name: string;
  readonly from: number;
  /** Exclusive: an agent gone at t and one created at t were never both alive. */
  readonly to: number;
}

/** The most lifetimes that overlap at one instant, and when: a sweep over start (+1) and end (−1) events, ends first at equal times. */
function maxAlive(lifetimes: readonly Lifetime[]): { readonly max: number; readonly at?: number; readonly alive: readonly string[] } {
  const events = lifetimes
    .flatMap((l) => [
      { t: l.from, delta: 1, name: l.name },
      { t: l.to, delta: -1, name: l.name },
    ])
    .sort((a, b) => a.t - b.t || a.delta - b.delta);
  const alive = new Set<string>();
  let best: { max: number; at?: number; alive: string[] } = { max: 0, alive: [] };
  for (const e of events) {
    if (e.delta > 0) alive.add(e.name);
    else alive.delete(e.name);
    if (alive.size > best.max) best = { max: alive.size, at: e.t, alive: [...alive].sort() };
  }
  return best;
}

/**
 * How long each agent counted against capacity: from its container's creation until its job
 * finished (from then on it is exiting, which the scheduler counts as neither supply nor
 * capacity) or, without a job, until its container exited; still alive now when neither.
 */
function lifetimes(containers: readonly ContainerRecord[], jobs: readonly JobView[], now: number): Lifetime[] {
  const jobOf = new Map(jobs.flatMap((j) => (j.agentName ? [[j.agentName.toLowerCase(), j] as const] : [])));
  return containers.map((c) => {
    const finished = jobOf.get(c.name.toLowerCase())?.finishTime;
    const to = Math.min(finished ? Date.parse(finished) : Infinity, c.exitedAt ?? Infinity, now);
    return { name: c.name, from: c.createdAt, to };
  });
}

const organization = (host: string): OrganizationConfig => dependencies().settings.config.organizations.find((o) => o.url.url.includes(host))!;
const counter = (name: CounterName) => dependencies().counters.get(name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Container groups ARM created (201) for the pools, read from ARM's request log: deleted ones included. */
function created(org: OrganizationConfig, pools: readonly string[]): string[] {
  const ours = pools.map((p) => isAgentNameOf(org.url.url, p));
  return scaler.stack.arm
    .requests()
    .filter((r) => r.method === 'PUT' && r.status === 201)
    .map((r) => decodeURIComponent(r.path.split('/').pop() ?? ''))
    .filter((name) => ours.some((of) => of(name)));
}

/**
 * Until `done`: every ~120 ms, the same signal for each pool as three messages at once (overlapping
 * passes on different consumers), the waiting hook of a waiting and of a running job delivered
 * again, and every fifth round a reconcile sweep. Once, after `replaceAfter` finished jobs, the
 * host's instance stops mid-burst and a fresh one starts: what it held comes back after the lock.
 */
async function stir(
  org: OrganizationConfig,
  pools: readonly string[],
  done: () => boolean,
  replaceAfter: number,
): Promise<{ rounds: number; replaced: boolean }> {
  const { ado } = scaler.stack;
  const orgName = org.url.url.split('/').filter(Boolean).pop()!;
  let rounds = 0;
  let replaced = false;
  while (!done()) {
    rounds++;
    const mine = ado.jobs().filter((j) => j.org === orgName && pools.includes(j.pool));
    for (const state of ['waiting', 'running'] as const) {
      const some = mine.filter((j) => j.state === state);
      if (some.length) ado.redeliverJob(some[rounds % some.length]!.requestId);
    }
    const body = (pool: string): PoolSignal => ({ version: 2, orgUrl: org.url.url, pool, reason: 'event', observedAt: new Date().toISOString() });
    await sender.sendMessages(
      pools.flatMap((pool) => Array.from({ length: 3 }, () => ({ messageId: randomUUID(), body: body(pool), contentType: 'application/json' }))),
    );
    if (rounds % 5 === 0) await scaler.sweep();
    if (!replaced && mine.filter((j) => j.state === 'finished').length >= replaceAfter) {
      replaced = true;
      await scaler.replaceHost();
    }
    await sleep(120);
  }
  return { rounds, replaced };
}

describe('capacity with four instances passing the same pools', () => {
  it('counts overlapping lifetimes, ends before starts at the same instant', () => {
    expect(maxAlive([])).toEqual({ max: 0, alive: [] });
    const peak = maxAlive([
      { name: 'a', from: 0, to: 10 },
      { name: 'b', from: 10, to: 20 },
      { name: 'c', from: 5, to: 15 },
      { name: 'd', from: 12, to: 13 },
    ]);
    expect(peak).toEqual({ max: 3, at: 12, alive: ['b', 'c', 'd'] });
  });

  it('never has more agents of a profile alive than its maxAgents, and starts no agent beyond one per job, through a burst of overlapping passes', async () => {
    const t0 = Date.now();
    const { ado } = scaler.stack;
    const org = organization('/contoso');
    const coalescedBefore = counter('signalsCoalesced');
    const passesBefore = counter('passes');
    const queued = Array.from({ length: BURST.jobs }, () => ado.queueJob({ org: 'contoso', pool: BURST.pool }));
    const ids = new Set(queued.map((q) => q.requestId));
    const mine = () => ado.jobs().filter((j) => ids.has(j.requestId));
    let finished = false;
    const stirring = stir(org, [BURST.pool], () => finished, 8);
    try {
      await eventually(() => mine().every((j) => j.state === 'finished'), 120_000, 'every job of the burst to finish');
    } finally {
      finished = true;
    }
    const { rounds, replaced } = await stirring;

    const jobs = mine();
    expect(jobs.filter((j) => j.result !== 'succeeded')).toEqual([]);
    const isOurs = isAgentNameOf(org.url.url, BURST.pool);
    const containers = scaler.stack.containers().filter((c) => isOurs(c.name));
    // Every group ARM created ran an agent: the timelines below miss none.
    expect(created(org, [BURST.pool]).sort()).toEqual(containers.map((c) => c.name).sort());
    const peak = maxAlive(lifetimes(containers, ado.jobs(), Date.now()));
    expect(peak.max, `alive at ${peak.at}: ${peak.alive.join(', ')}`).toBeLessThanOrEqual(BURST.maxAgents);
    // The burst did press against the cap.
    expect(peak.max).toBe(BURST.maxAgents);
    // No duplicate starts: one agent per job at most, and each job ran on its own agent.
    expect(containers.length).toBeLessThanOrEqual(BURST.jobs);
    expect(new Set(jobs.map((j) => j.agentName)).size).toBe(BURST.jobs);
    // The passes did overlap: signals found the pool's pass running on another consumer.
    expect(counter('signalsCoalesced')).toBeGreaterThan(coalescedBefore);
    expect(replaced).toBe(true);
    console.info(
      `burst: ${jobs.length} jobs, ${containers.length} agents, max alive ${peak.max} / maxAgents ${BURST.maxAgents}, ` +
        `${counter('passes') - passesBefore} passes, ${counter('signalsCoalesced') - coalescedBefore} signals coalesced, ${rounds} rounds, ${Date.now() - t0} ms`,
    );
  }, 180_000);

  it('never has more agents of an organization alive than its maxParallelJobs, across its pools, and serves every job of both', async () => {
    const t0 = Date.now();
    const { ado } = scaler.stack;
    const org = organization('/fabrikam');
    const coalescedBefore = counter('signalsCoalesced');
    const queued = Array.from({ length: CAPPED.jobsPerPool }, () => CAPPED.pools.map((pool) => ado.queueJob({ org: 'fabrikam', pool }))).flat();
    const ids = new Set(queued.map((q) => q.requestId));
    const mine = () => ado.jobs().filter((j) => ids.has(j.requestId));
    let finished = false;
    const stirring = stir(org, CAPPED.pools, () => finished, 5);
    try {
      await eventually(() => mine().every((j) => j.state === 'finished'), 120_000, 'every job of both pools to finish');
    } finally {
      finished = true;
    }
    const { rounds } = await stirring;

    const jobs = mine();
    expect(jobs.filter((j) => j.result !== 'succeeded')).toEqual([]);
    const ours = CAPPED.pools.map((p) => isAgentNameOf(org.url.url, p));
    const containers = scaler.stack.containers().filter((c) => ours.some((of) => of(c.name)));
    expect(created(org, CAPPED.pools).sort()).toEqual(containers.map((c) => c.name).sort());
    const all = lifetimes(containers, ado.jobs(), Date.now());
    const peak = maxAlive(all);
    expect(peak.max, `alive at ${peak.at}: ${peak.alive.join(', ')}`).toBeLessThanOrEqual(CAPPED.maxParallelJobs);
    expect(peak.max).toBe(CAPPED.maxParallelJobs);
    // Each pool's profile stays within its own maxAgents as well, and both pools got agents.
    for (const of of ours) {
      const pool = maxAlive(all.filter((l) => of(l.name)));
      expect(pool.max).toBeGreaterThan(0);
      expect(pool.max).toBeLessThanOrEqual(CAPPED.maxAgents);
    }
    expect(containers.length).toBeLessThanOrEqual(jobs.length);
    expect(counter('signalsCoalesced')).toBeGreaterThan(coalescedBefore);
    console.info(
      `organization: ${jobs.length} jobs, ${containers.length} agents, max alive ${peak.max} / maxParallelJobs ${CAPPED.maxParallelJobs}, ` +
        `${counter('signalsCoalesced') - coalescedBefore} signals coalesced, ${rounds} rounds, ${Date.now() - t0} ms`,
    );
  }, 180_000);
});
