import { describe, expect, it } from 'vitest';
import { scenario, SCENARIOS } from './scenarios';
import { latencyMs, parseTrace } from './trace';
import { traceConfig } from './run-trace';

describe('parseTrace', () => {
  it('takes a minimal trace and fills in the defaults', () => {
    const trace = parseTrace({ name: 'mine', jobs: [{ at: 0, pool: 'linux', durationSeconds: 30 }] }, 'mine.json');
    expect(trace).toMatchObject({ description: '', latencies: {}, faults: { hookLossRate: 0, hookDuplicateRate: 0 }, drainSeconds: 900 });
    expect(trace.jobs[0]).toEqual({ at: 0, pool: 'linux', demands: [], durationSeconds: 30 });
  });

  it('names every problem with its path', () => {
    const bad = { name: '', latencies: { aciStart: { kind: 'lognormal', median: 10 } }, jobs: [{ at: -1, pool: 'linux' }] };
    const message = (() => {
      try {
        parseTrace(bad, 'bad.json');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(/^bad\.json is not a valid trace \(\d+ problems\)/);
    for (const path of ['name', 'latencies.aciStart', 'jobs.0.at', 'jobs.0.durationSeconds']) expect(message).toContain(`- ${path}:`);
  });

  it("turns latencies in seconds into the emulators' milliseconds", () => {
    expect(latencyMs(2)).toBe(2000);
    expect(latencyMs({ kind: 'uniform', min: 1, max: 3 })).toEqual({ kind: 'uniform', minMs: 1000, maxMs: 3000 });
    expect(latencyMs({ kind: 'lognormal', median: 15, p95: 30 })).toEqual({ kind: 'lognormal', medianMs: 15000, p95Ms: 30000 });
  });
});

describe('built-in scenarios', () => {
  it('are valid traces, the same for the same seed, and sized as documented', () => {
    for (const name of SCENARIOS) {
      expect(parseTrace(JSON.parse(JSON.stringify(scenario(name))), name).jobs.length).toBeGreaterThan(name === 'standby' ? 5 : 50);
      expect(scenario(name, 7)).toEqual(scenario(name, 7));
    }
    expect(scenario('burst').jobs).toHaveLength(200);
    expect(scenario('burst').jobs.every((j) => j.at === 0)).toBe(true);
    const cancel = scenario('cancel').jobs;
    const share = cancel.filter((j) => j.cancelAfterSeconds !== undefined).length / cancel.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.3);
    expect(scenario('lossy').faults).toMatchObject({ hookLossRate: 0.3, hookDuplicateRate: 0.05 });
    // Standby: two waves of three jobs, the first after the standby agents had time to start.
    expect(scenario('standby').jobs.map((j) => j.at)).toEqual([30, 30, 30, 90, 90, 90]);
  });
});

describe('the example trace in the README', () => {
  it('is a valid trace on the default configuration', async () => {
    const { readFileSync } = await import('node:fs');
    const trace = parseTrace(JSON.parse(readFileSync(`${__dirname}/example-trace.json`, 'utf8')), 'example-trace.json');
    expect(trace.jobs).toHaveLength(16);
    expect(trace.config).toBeUndefined();
    expect(trace.faults).toEqual({ hookLossRate: 0.1, hookDuplicateRate: 0 });
  });
});

describe('the hundred-job trace in the README', () => {
  it('is 100 one-second jobs at once on one profile of 20 agents', async () => {
    const { readFileSync } = await import('node:fs');
    const trace = parseTrace(JSON.parse(readFileSync(`${__dirname}/hundred-trace.json`, 'utf8')), 'hundred-trace.json');
    expect(trace.jobs).toHaveLength(100);
    expect(trace.jobs.every((j) => j.at === 0 && j.durationSeconds === 1)).toBe(true);
    expect(traceConfig(trace).config.organizations[0]?.pools[0]?.profiles.map((p) => p.maxAgents)).toEqual([20]);
  });
});
