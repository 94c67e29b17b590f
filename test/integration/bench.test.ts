import { describe, expect, it } from 'vitest';
import { benchScenario } from '../../scripts/bench/bench-scenario';
import { scenarioTable } from '../../scripts/bench/report';
import { scenario } from '../../scripts/bench/scenarios';
import { startIdentityEmulator } from '../../emulators/identity/identity-emulator';

// `npm run bench` in miniature, on the wall clock (no time warp inside the test runner): the
// tiny trace runs through the scaler's functions and through the KEDA-like baseline, and both
// report. What the figures are is the bench's business; here only that they are measured.
describe('npm run bench, tiny scenario', () => {
  it('serves the trace with both systems and reports every figure with the ideal and the ratios', async () => {
    const lines: string[] = [];
    const identity = await startIdentityEmulator();
    const log = (level: string, fn: string, message: string) => lines.push(`${level} ${fn}: ${message}`);
    const result = await benchScenario(scenario('tiny'), { pollSeconds: 1, seed: 1, agentPollMs: 50, identity, log }).finally(() => identity.close());

    for (const figures of [result.scaler, result.baseline]) {
      expect(figures).toMatchObject({ jobs: 3, served: 2, cancelled: 1, leftWaiting: 0 });
      expect(figures.p95).toBeGreaterThan(0);
      expect(figures.makespan).toBeGreaterThan(0);
      expect(figures.agentsPerJob).toBeGreaterThanOrEqual(1);
      expect(figures.adoCallsPerJob).toBeGreaterThan(0);
      expect(figures.computeWritesPerJob).toBeGreaterThan(0);
    }
    expect(result.scaler.ideal).toBeGreaterThan(0);
    // Polling finds every job; the scaler's figure depends on whether a minute's sweep happens to run first.
    expect(result.baseline.foundByTimer).toBe(2);
    expect(result.ratio.p95).toBeCloseTo(result.scaler.p95 / result.baseline.p95, 10);
    const table = scenarioTable(result);
    for (const row of ['queued→assigned p95 (s)', 'ideal makespan (s)', 'agent cost per 1000 jobs (USD)', 'verdict: scaler vs KEDA-like'])
      expect(table).toContain(row);
    // Cost per profile, from the agents' tags and labels, and per value of the profiles' tags.
    for (const system of ['scaler', 'baseline'] as const) {
      const served = Object.fromEntries(result.costs.filter((r) => r.kind === 'profile').map((r) => [r.label, r[system]?.served ?? 0]));
      expect(served).toMatchObject({ 'linux/linux-small': 1, 'dotnet/dotnet-8': 1 });
      expect(served['(unknown)']).toBeUndefined();
    }
    expect(result.costs.map((r) => r.label)).toEqual(expect.arrayContaining(['team=web', 'team (none)', 'costCenter=1234']));
    expect(table).toMatch(/agent cost per 1000 jobs by profile \(USD\)/);
    expect(table).toMatch(/ {4}dotnet\/dotnet-8 +\d+\.\d\d +\d+\.\d\d {2}1 \/ 1/);
    expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});
