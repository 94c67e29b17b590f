import { sampleMs, seededRandom } from '../../emulators/core/latency';
import type { Trace, TraceJob } from './trace';

const ORG = 'https://dev.azure.com/bench';
const AUTH = { kind: 'pat', vaultUrl: 'https://bench.vault.azure.net', secretName: 'ado-pat' };
/** The launchers the bench's and the chaos run's configurations use: the emulators answer whatever they name. */
export const ACI = { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-ado-agents', location: 'westeurope' };
export const AKS = { kind: 'aksVirtualNode', apiServer: 'https://aks.invalid:443', namespace: 'ado-agents', virtualNode: 'v2' };

/** Three profiles in two pools, as config.sample.json: AKS virtual nodes and ACI side by side. */
export function threeProfileConfig(): unknown {
  return {
    organizations: [
      {
        url: ORG,
        auth: AUTH,
        pools: [
          {
            name: 'linux',
            profiles: [
              { name: 'linux-small', capabilities: { 'Agent.OS': 'Linux' }, image: 'bench/ado-agent:4', cpu: 1, memoryGb: 2, maxAgents: 20, launcher: AKS },
              {
                name: 'linux-docker',
                capabilities: { 'Agent.OS': 'Linux', docker: '' },
                image: 'bench/ado-agent:4',
                cpu: 2,
                memoryGb: 4,
                maxAgents: 10,
                tags: { team: 'web', costCenter: '1234' },
                launcher: ACI,
              },
            ],
          },
          {
            name: 'dotnet',
            profiles: [
              {
                name: 'dotnet-8',
                capabilities: { 'Agent.OS': 'Linux', dotnet: '8.0' },
                image: 'bench/ado-agent-dotnet:4',
                cpu: 2,
                memoryGb: 4,
                maxAgents: 5,
                launcher: ACI,
              },
            ],
          },
        ],
      },
    ],
  };
}

/** One pool, one ACI profile with maxAgents 20, or what `profile` sets instead. */
function oneProfileConfig(profile: Record<string, unknown> = {}): unknown {
  return {
    organizations: [
      {
        url: ORG,
        auth: AUTH,
        pools: [
          {
            name: 'linux',
            profiles: [{ name: 'linux-aci', capabilities: { 'Agent.OS': 'Linux' }, image: 'bench/ado-agent:4', maxAgents: 20, launcher: ACI, ...profile }],
          },
        ],
      },
    ],
  };
}

/** ACI's real starts are 10-35 s; registration of a baked-in agent a few seconds. */
const REAL_LATENCIES: Trace['latencies'] = {
  aciStart: { kind: 'lognormal', median: 15, p95: 30 },
  aksStart: { kind: 'lognormal', median: 12, p95: 25 },
  agentRegistration: { kind: 'lognormal', median: 3, p95: 6 },
};

const NO_FAULTS: Trace['faults'] = { hookLossRate: 0, hookDuplicateRate: 0 };

/** Draws a job duration in whole seconds from a lognormal given by its median and p95. */
function duration(random: () => number, median: number, p95: number): number {
  return Math.max(1, Math.round(sampleMs({ kind: 'lognormal', medianMs: median * 1000, p95Ms: p95 * 1000 }, random) / 1000));
}

const KINDS = [
  { pool: 'linux', demands: ['Agent.OS -equals Linux'], share: 0.4 },
  { pool: 'linux', demands: ['docker', 'Agent.OS -equals Linux'], share: 0.35 },
  { pool: 'dotnet', demands: ['dotnet -equals 8.0'], share: 0.25 },
];

function burstJobs(count: number, random: () => number): TraceJob[] {
  return Array.from({ length: count }, () => ({ at: 0, pool: 'linux', demands: ['Agent.OS -equals Linux'], durationSeconds: duration(random, 10, 20) }));
}

/** Poisson arrivals (exponential gaps) at `perSecond` for `seconds`, over the three job kinds. */
function steadyJobs(seconds: number, perSecond: number, random: () => number): TraceJob[] {
  const jobs: TraceJob[] = [];
  for (let t = -Math.log(1 - random()) / perSecond; t < seconds; t += -Math.log(1 - random()) / perSecond) {
    let pick = random();
    const kind = KINDS.find((k) => (pick -= k.share) < 0) ?? KINDS[0]!;
    jobs.push({ at: Math.round(t * 10) / 10, pool: kind.pool, demands: kind.demands, durationSeconds: duration(random, 30, 90) });
  }
  return jobs;
}

export type ScenarioName = 'burst' | 'steady' | 'lossy' | 'quota' | 'cancel' | 'standby' | 'tiny';
export const SCENARIOS: readonly ScenarioName[] = ['burst', 'steady', 'lossy', 'quota', 'cancel', 'standby'];

/** The built-in scenarios; the same seed gives the same trace. */
export function scenario(name: ScenarioName, seed = 1): Trace {
  const random = seededRandom(seed);
  switch (name) {
    case 'burst':
      return {
        name,
        description: '200 jobs at once into one ACI profile with maxAgents 20',
        config: oneProfileConfig(),
        latencies: REAL_LATENCIES,
        faults: NO_FAULTS,
        drainSeconds: 900,
        jobs: burstJobs(200, random),
      };
    case 'steady':
      return {
        name,
        description: 'Poisson arrivals, 0.5 jobs/s for 4 minutes, over three profiles in two pools',
        config: threeProfileConfig(),
        latencies: REAL_LATENCIES,
        faults: NO_FAULTS,
        drainSeconds: 600,
        jobs: steadyJobs(240, 0.5, random),
      };
    case 'lossy':
      return {
        ...scenario('steady', seed),
        name,
        description: 'steady, with 30 % of service hook deliveries lost and 5 % delivered twice',
        faults: { hookLossRate: 0.3, hookDuplicateRate: 0.05 },
      };
    case 'quota':
      return {
        ...scenario('burst', seed),
        name,
        description: "burst under ACI's create limit (100 per 5 minutes) with two bursts of ARM 429s",
        drainSeconds: 1500,
        faults: { ...NO_FAULTS, aciCreateLimit: { count: 100, windowSeconds: 300 }, armThrottle: { at: [0, 60], count: 10, retryAfterSeconds: 10 } },
      };
    case 'cancel': {
      const base = steadyJobs(180, 0.5, random);
      return {
        name,
        description: 'steady for 3 minutes, 20 % of the jobs cancelled 2-20 s after they are queued',
        config: threeProfileConfig(),
        latencies: REAL_LATENCIES,
        faults: NO_FAULTS,
        drainSeconds: 600,
        jobs: base.map((j) => (random() < 0.2 ? { ...j, cancelAfterSeconds: 2 + Math.round(random() * 18) } : j)),
      };
    }
    case 'standby':
      return {
        name,
        description: 'one ACI profile keeping 3 agents on standby (5 s starts); 3 jobs at once, twice, a minute apart',
        config: oneProfileConfig({ maxAgents: 10, standby: [{ days: '*', from: '00:00', to: '24:00', timeZone: 'UTC', agents: 3 }] }),
        latencies: { aciStart: 5, agentRegistration: 0.5 },
        faults: NO_FAULTS,
        drainSeconds: 120,
        // The first jobs come once the standby agents had time to start.
        jobs: [30, 30, 30, 90, 90, 90].map((at) => ({ at, pool: 'linux', demands: ['Agent.OS -equals Linux'], durationSeconds: duration(random, 10, 20) })),
      };
    case 'tiny':
      return {
        name,
        description: 'three short jobs over two pools and one cancelled, fast starts: checks that the bench runs and reports',
        // The shortest upkeep period: the run ends with two upkeep runs one period apart.
        config: { ...(threeProfileConfig() as object), upkeep: { intervalSeconds: 10 } },
        latencies: { aciStart: 0.2, aksStart: 0.2, agentRegistration: 0.05 },
        faults: NO_FAULTS,
        drainSeconds: 60,
        jobs: [
          { at: 0, pool: 'linux', demands: ['Agent.OS -equals Linux'], durationSeconds: 0.3 },
          { at: 0.2, pool: 'dotnet', demands: ['dotnet -equals 8.0'], durationSeconds: 0.3 },
          { at: 0.4, pool: 'linux', demands: ['Agent.OS -equals Linux'], durationSeconds: 0.3, cancelAfterSeconds: 0 },
        ],
      };
  }
}
