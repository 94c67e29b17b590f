import { describe, expect, it } from 'vitest';
import { figuresOf, quantile, ratios, standbyBackAfter, verdict, type RunObservation } from './figures';

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
  const agent = (createdAt: number, registeredAt: number, jobStartedAt?: number) => ({ createdAt: s(createdAt), registeredAt: s(registeredAt), ...(jobStartedAt !== undefined ? { jobStartedAt: s(jobStartedAt) } : {}), cpu: 1, memoryGb: 2 });

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
