import { parseDemands } from '../../src/ado/demands';
import { matchProfile } from '../../src/scheduler/profile-match';
import { sampleMs, seededRandom } from '../../emulators/core/latency';
import { costByProfile, costRows, DEFAULT_PRICES, figuresOf, ratios, verdict, type Prices } from './figures';
import { idealSchedule } from './ideal';
import type { ScenarioResult } from './report';
import { profileKey, runTrace, traceConfig, type RunOptions } from './run-trace';
import { latencyMs, type Trace } from './trace';

export type BenchOptions = Omit<RunOptions, 'system'> & { readonly prices?: Prices };

/** The trace twice in this process, scaler then KEDA-like baseline, with the ideal beside them. */
export async function benchScenario(trace: Trace, options: BenchOptions): Promise<ScenarioResult> {
  const realStart = performance.now();
  const ideal = idealMakespanMs(trace, options.seed);
  const standbyTarget = standbyTargetOf(trace);
  const prices = options.prices ?? DEFAULT_PRICES;
  const scalerRun = await runTrace(trace, { ...options, system: 'scaler' });
  const baselineRun = await runTrace(trace, { ...options, system: 'baseline' });
  const scaler = figuresOf(scalerRun, ideal, prices, standbyTarget);
  const baseline = figuresOf(baselineRun, ideal, prices, standbyTarget);
  return {
    name: trace.name,
    description: trace.description,
    scaler,
    baseline,
    ratio: ratios(scaler, baseline),
    verdict: verdict(scaler, baseline, standbyTarget),
    realSeconds: (performance.now() - realStart) / 1000,
    standbyTarget,
    costs: costRowsOf(trace, costByProfile(scalerRun, prices), costByProfile(baselineRun, prices)),
  };
}

/** Per profile of the trace's configuration ("pool/profile", as the runs key their agents) with its tags, and per tag value. */
function costRowsOf(trace: Trace, scaler: ReturnType<typeof costByProfile>, baseline: ReturnType<typeof costByProfile>) {
  const { config } = traceConfig(trace);
  const tags = new Map(
    config.organizations.flatMap((o) => o.pools.flatMap((pool) => pool.profiles.map((p) => [profileKey(pool.name, p.name), p.tags] as const))),
  );
  return costRows(scaler, baseline, (profile) => tags.get(profile), [...tags.keys()]);
}

/** The idle agents the config keeps ready at most, over every profile (the bench's windows stay open all run). */
function standbyTargetOf(trace: Trace): number {
  const { config } = traceConfig(trace);
  return config.organizations.flatMap((o) => o.pools.flatMap((p) => p.profiles)).reduce((n, p) => n + Math.max(0, ...p.standby.map((w) => w.agents)), 0);
}

/** Instant detection with the trace's capacity, ACI create limit and latencies; cancelled and unmatched jobs left out. */
export function idealMakespanMs(trace: Trace, seed: number): number {
  const { config } = traceConfig(trace);
  const random = seededRandom(seed + 2);
  const draw = (l: Trace['latencies']['aciStart']) => (l === undefined ? 0 : sampleMs(latencyMs(l), random));
  const profiles = config.organizations.flatMap((o) =>
    o.pools.flatMap((pool) =>
      pool.profiles.map((p) => ({
        name: `${pool.name}/${p.name}`,
        maxAgents: p.maxAgents,
        createLimited: p.launcher.kind === 'aci',
        startMs: () =>
          draw(p.launcher.kind === 'aci' ? (trace.latencies.aciStart ?? 0.1) : (trace.latencies.aksStart ?? 0.02)) + draw(trace.latencies.agentRegistration),
      })),
    ),
  );
  const [org] = config.organizations;
  const jobs = trace.jobs.flatMap((j) => {
    const pool = org?.pools.find((p) => p.name.toLowerCase() === j.pool.toLowerCase());
    const profile = pool && matchProfile(pool.profiles, parseDemands(j.demands));
    if (!pool || !profile || j.cancelAfterSeconds !== undefined) return [];
    return [{ arrivalMs: j.at * 1000, profile: `${pool.name}/${profile.name}`, durationMs: j.durationSeconds * 1000 }];
  });
  const limit = trace.faults.aciCreateLimit;
  return idealSchedule(jobs, profiles, limit && { count: limit.count, windowMs: limit.windowSeconds * 1000 }).makespanMs;
}
