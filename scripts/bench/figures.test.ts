import { describe, expect, it } from 'vitest';
import { costByProfile, costByTag, costRows, figuresOf, quantile, ratios, standbyBackAfter, verdict, type RunObservation } from './figures';
import { costTable } from './report';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (seconds: number) => T0 + seconds * 1000;

function run(overrides: Partial<RunObservation> = {}): RunObservation {
  return {
    system: 'scaler',
    startedAt: s(0),
    endedAt: s(100),
    jobs: [
      { queuedAt: s(0), assignedAt: s(10), finishedAt: s(40), result: 'succeeded', cancelled: false, foundByTimer: false, unannounced: false },
      { queuedAt: s(0), assignedAt: s(20), finishedAt: s(50), result: 'succeeded', cancelled: false, foundByTimer: true, firstLookAt: s(3), unannounced: true },
      { queuedAt: s(5), finishedAt: s(8), result: 'canceled', cancelled: true, foundByTimer: false, unannounced: false },
      { queuedAt: s(6), cancelled: false, foundByTimer: false, unannounced: false },
    ],
    agents: [
      { createdAt: s(0), jobStartedAt: s(10), exitedAt: s(40), cpu: 1, memoryGb: 2 },
      { createdAt: s(0), jobStartedAt: s(20), exitedAt: s(50), cpu: 1, memoryGb: 2 },
      // Started for the cancelled job: idle until the run ended.
      { createdAt: s(5), registeredAt: s(15), cpu: 2, memoryGb: 4 },
    ],
    adoCalls: 20,
    computeWrites: 6,
    keyVaultReads: 2,
    deadLettered: 0,
    left: { liveContainers: 1, finishedContainers: 2, registrations: 1 },
    ...overrides,
  };
}

describe('figuresOf', () => {
  it('measures waits, makespan, per-job costs and what was left, per job served', () => {
    const f = figuresOf(run(), 45_000, { vcpuSecond: 0.01, gbSecond: 0.001 });
    expect(f).toMatchObject({ jobs: 4, served: 2, cancelled: 1, p50: 10, p95: 20, max: 20, makespan: 50, ideal: 45, leftWaiting: 1, foundByTimer: 1 });
    expect(f.agentsPerJob).toBe(1.5);
    expect(f.adoCallsPerJob).toBe(10);
    expect(f.computeWritesPerJob).toBe(3);
    // Idle: 10 s + 20 s before the jobs, 95 s of the agent that never got one.
    expect(f.idleAgentSecondsPerJob).toBe((10 + 20 + 95) / 2);
    // Billed from create to exit (or the end of the run): 40 s and 50 s at 1 vCPU/2 GB, 95 s at 2 vCPU/4 GB.
    expect(f.costPerJob).toBeCloseTo(((40 + 50) * 0.012 + 95 * 0.024) / 2, 10);
    expect(f).toMatchObject({ liveContainersLeft: 1, finishedContainersLeft: 2, registrationsLeft: 1 });
    expect(f).toMatchObject({ unannounced: 1, unannouncedMaxWait: 20, unannouncedMaxLook: 3, joblessAgents: 1, joblessAgentMaxIdle: 85, abandoned: 0 });
  });

  it('counts no job served as one, so per-job figures stay finite', () => {
    const f = figuresOf(run({ jobs: [{ queuedAt: s(0), cancelled: false, foundByTimer: false, unannounced: false }] }), 0);
    expect(f.served).toBe(0);
    expect(f.adoCallsPerJob).toBe(20);
    expect(f.p95).toBe(0);
  });
});

describe('quantile', () => {
  it('is the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([quantile(values, 0.5), quantile(values, 0.95), quantile(values, 0.99), quantile(values, 1)]).toEqual([50, 95, 99, 100]);
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('ratios and verdict', () => {
  it('divides the scaler by the baseline and leaves out figures the baseline has at 0', () => {
    const scaler = figuresOf(run(), 45_000);
    const baseline = figuresOf(run({ adoCalls: 40, deadLettered: 0 }), 45_000);
    const r = ratios(scaler, baseline);
    expect(r.adoCallsPerJob).toBe(0.5);
    expect(r.deadLettered).toBeUndefined();
  });

  it('says who waited less and what the scaler left behind', () => {
    const scaler = figuresOf(run(), 45_000);
    const slower = figuresOf(run({ jobs: run().jobs.map((j) => (j.assignedAt ? { ...j, assignedAt: j.assignedAt + 30_000 } : j)) }), 45_000);
    const line = verdict(scaler, slower);
    expect(line).toMatch(/p95 wait 0\.40x \(better\)/);
    expect(line).toMatch(/1 jobs left waiting, 1 live containers left, 1 registrations left/);
    // Agents kept on standby are meant to stay.
    expect(verdict(scaler, slower, 1)).toMatch(/1 jobs left waiting$/);
  });
});

describe('standbyBackAfter', () => {
  const agent = (createdAt: number, registeredAt: number, jobStartedAt?: number) => ({
    createdAt: s(createdAt),
    registeredAt: s(registeredAt),
    ...(jobStartedAt !== undefined ? { jobStartedAt: s(jobStartedAt) } : {}),
    cpu: 1,
    memoryGb: 2,
  });

  it('measures from the last agent beginning its job until the target is idle again', () => {
    // Two standby agents take jobs at 30 and 31; their replacements register at 36 and 38.
    const agents = [agent(0, 5, 30), agent(0, 5, 31), agent(31, 36), agent(32, 38)];
    expect(standbyBackAfter(run({ agents }), 2)).toBe(7);
    expect(standbyBackAfter(run({ agents }), 1)).toBe(5);
  });

  it('is NaN when the target never comes back before the run ends', () => {
    expect(standbyBackAfter(run({ agents: [agent(0, 5, 30), agent(31, 36)] }), 2)).toBeNaN();
    expect(figuresOf(run(), 45_000).standbyBackAfter).toBe(0);
  });
});

describe('cost per profile and per tag', () => {
  const prices = { vcpuSecond: 0.01, gbSecond: 0.001 };
  // Per vCPU/GB-second: 1 vCPU + 2 GB costs 0.012 a second, 2 vCPU + 4 GB 0.024.
  const tagged = () =>
    run({
      jobs: [
        { queuedAt: s(0), assignedAt: s(10), finishedAt: s(40), cancelled: false, foundByTimer: false, unannounced: false, profile: 'linux/small' },
        { queuedAt: s(0), assignedAt: s(20), finishedAt: s(50), cancelled: false, foundByTimer: false, unannounced: false, profile: 'linux/small' },
        { queuedAt: s(0), assignedAt: s(30), finishedAt: s(60), cancelled: false, foundByTimer: false, unannounced: false, profile: 'dotnet/big' },
        // Cancelled before an agent took it, and one never served: neither counts for a profile.
        { queuedAt: s(5), cancelled: true, foundByTimer: false, unannounced: false },
        { queuedAt: s(6), cancelled: false, foundByTimer: false, unannounced: false },
      ],
      agents: [
        { createdAt: s(0), jobStartedAt: s(10), exitedAt: s(40), cpu: 1, memoryGb: 2, profile: 'linux/small' },
        { createdAt: s(0), jobStartedAt: s(20), exitedAt: s(50), cpu: 1, memoryGb: 2, profile: 'linux/small' },
        { createdAt: s(0), jobStartedAt: s(30), exitedAt: s(60), cpu: 2, memoryGb: 4, profile: 'dotnet/big' },
        // Idle until the run ended (100 s), never served a job.
        { createdAt: s(50), registeredAt: s(55), cpu: 2, memoryGb: 4, profile: 'dotnet/big' },
        // A container the run never saw with its tags.
        { createdAt: s(90), cpu: 1, memoryGb: 2 },
      ],
    });
  const tags: Record<string, Record<string, string>> = {
    'linux/small': { team: 'web', costCenter: '1234' },
    'dotnet/big': { team: 'dotnet' },
    'linux/gpu': { team: 'ml' },
  };

  it("divides each profile's agent cost by the jobs its agents served, and the profiles add up to the run", () => {
    const rows = costByProfile(tagged(), prices);
    expect(rows.map((r) => [r.key, r.agents, r.served])).toEqual([
      ['(unknown)', 1, 0],
      ['dotnet/big', 2, 1],
      ['linux/small', 2, 2],
    ]);
    const [unknown, big, small] = rows;
    expect(small?.cost).toBeCloseTo((40 + 50) * 0.012, 10);
    expect(small?.costPerJob).toBeCloseTo(((40 + 50) * 0.012) / 2, 10);
    // The idle agent's 50 s fall on its profile's one job.
    expect(big?.costPerJob).toBeCloseTo((60 + 50) * 0.024, 10);
    expect(unknown?.cost).toBeCloseTo(10 * 0.012, 10);
    expect(unknown?.costPerJob).toBeNaN();
    const total = figuresOf(tagged(), 0, prices).costPerJob * 3;
    expect(rows.reduce((sum, r) => sum + r.cost, 0)).toBeCloseTo(total, 10);
  });

  it('sums profiles per value of a tag, those without it under (none)', () => {
    const byTeam = costByTag(costByProfile(tagged(), prices), (p) => tags[p], 'team');
    expect(byTeam.map((r) => [r.key, r.agents, r.served])).toEqual([
      ['(none)', 1, 0],
      ['dotnet', 2, 1],
      ['web', 2, 2],
    ]);
    const byCostCenter = costByTag(costByProfile(tagged(), prices), (p) => tags[p], 'costCenter');
    expect(byCostCenter.map((r) => [r.key, r.served])).toEqual([
      ['(none)', 1],
      ['1234', 2],
    ]);
    expect(byCostCenter[0]?.cost).toBeCloseTo(byTeam[0]!.cost + byTeam[1]!.cost, 10);
  });

  it('prints a line per profile with its tags, then one per tag value, for both systems', () => {
    const scaler = costByProfile(tagged(), prices);
    const baseline = costByProfile(run({ agents: tagged().agents.slice(0, 2), jobs: tagged().jobs.slice(0, 2) }), prices);
    // linux/gpu is configured but ran no agent in either system.
    const lines = costTable(costRows(scaler, baseline, (p) => tags[p], Object.keys(tags)));
    expect(lines.map((l) => l.replace(/ +/g, ' ').trim())).toEqual([
      'agent cost per 1000 jobs by profile (USD) scaler KEDA-like jobs served',
      '(unknown) no jobs - 0 / 0',
      'dotnet/big [team=dotnet] 2640.00 - 1 / 0',
      'linux/gpu [team=ml] - - 0 / 0',
      'linux/small [team=web, costCenter=1234] 540.00 540.00 2 / 2',
      'by tag team (none) no jobs - 0 / 0',
      'by tag team=dotnet 2640.00 - 1 / 0',
      'by tag team=ml - - 0 / 0',
      'by tag team=web 540.00 540.00 2 / 2',
      'by tag costCenter (none) 2760.00 - 1 / 0',
      'by tag costCenter=1234 540.00 540.00 2 / 2',
    ]);
    expect(costTable([])).toEqual([]);
  });
});
