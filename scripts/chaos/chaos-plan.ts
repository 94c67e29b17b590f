import type { StackLatencies } from '../local-stack/emulator-stack';
import { ACI, AKS } from '../bench/scenarios';

/** What `npm run chaos` does to the world, and when: seconds from the first job. */
export interface ChaosPlan {
  readonly jobs: number;
  /** Arrivals are spread (Poisson: uniform order statistics) over this many seconds. */
  readonly arrivalSeconds: number;
  /** After the last arrival, how long jobs may take to end before the run counts the rest as stranded. */
  readonly drainSeconds: number;
  readonly hookLossRate: number;
  readonly hookDuplicateRate: number;
  /** Share of jobs cancelled 0-10 s after they are queued (waiting or running). */
  readonly cancelRate: number;
  /** Windows in which every container group create answers 429 with Retry-After. */
  readonly armThrottles: ReadonlyArray<Window & { readonly retryAfterSeconds: number }>;
  /** Windows in which every ARM call answers 500. */
  readonly armErrors: readonly Window[];
  /** Windows in which every Kubernetes API call answers 503. */
  readonly kubernetesErrors: readonly Window[];
  readonly keyVaultOutage: Window;
  readonly serviceBusOutage: Window;
  /** SIGKILL of the host, and when the next one starts. */
  readonly hostKill: { readonly at: number; readonly restartAt: number };
  /** A new PAT in ADO and Key Vault, announced by Event Grid; the old one revoked `revokeAfter` later. */
  readonly patRotation: { readonly at: number; readonly revokeAfter: number };
  /** Messages no pass can ever read, sent to the signal queue: they must be dead-lettered as bad messages. */
  readonly poisonMessages: { readonly at: number; readonly count: number };
  /**
   * The first job comes this long after a tick of the 30 s timers (reconcile, upkeep), so that
   * ticks fall at known times of the plan: one inside the Key Vault outage, after the restart.
   */
  readonly timerPhaseSeconds: number;
}

export interface Window {
  readonly from: number;
  readonly seconds: number;
}

/**
 * The run's schedule for `jobs` jobs over `arrivalSeconds` (150 s by default): every fault lands
 * while jobs keep coming. The host is killed just after the Key Vault outage begins and comes
 * back inside it, so the new host (its PAT cache empty) meets the outage at its first pass or
 * upkeep tick (timers tick at 28, 58, 88 ... s); the Service Bus outage outlasts ADO's hook
 * retries, so the subscription goes on probation; the PAT is rotated once both are back.
 */
export function chaosPlan(jobs: number, arrivalSeconds = 150): ChaosPlan {
  const at = (fraction: number) => Math.round(fraction * arrivalSeconds * 10) / 10;
  return {
    jobs,
    arrivalSeconds,
    // The scheduler backs a failing pool off up to 5 minutes: a drain as long lets it come back.
    drainSeconds: 330,
    hookLossRate: 0.2,
    hookDuplicateRate: 0.1,
    cancelRate: 0.1,
    // Bursts last a while, as real ones do; the two ARM kinds never overlap (a window's end clears ARM's faults).
    armThrottles: [
      { from: at(0.1), seconds: 10, retryAfterSeconds: 5 },
      { from: at(0.6), seconds: 10, retryAfterSeconds: 5 },
    ],
    armErrors: [
      { from: at(0.23), seconds: 5 },
      { from: at(0.72), seconds: 5 },
    ],
    kubernetesErrors: [
      { from: at(0.17), seconds: 5 },
      { from: at(0.57), seconds: 5 },
    ],
    keyVaultOutage: { from: at(0.3), seconds: 30 },
    hostKill: { at: at(0.3) + 1, restartAt: at(0.3) + 6 },
    serviceBusOutage: { from: at(0.67), seconds: 20 },
    patRotation: { at: at(0.67) + 25, revokeAfter: 20 },
    poisonMessages: { at: at(0.2), count: 2 },
    timerPhaseSeconds: 2,
  };
}

/**
 * ADO's hook retry schedule (1, 2, 4 ... 60 s, about 3 minutes) shortened so that a 20 s outage
 * exhausts it (7 s in all), and its probation retries (20 minutes and more) in proportion.
 */
export const HOOK_RETRY_DELAYS_MS: readonly number[] = [500, 1_000, 2_000, 3_500];
export const HOOK_PROBATION_DELAYS_MS: readonly number[] = [45_000, 90_000, 180_000];

/** Starts and jobs of a few seconds, so that 500 jobs pass through in a few minutes. */
export const CHAOS_LATENCIES: Omit<StackLatencies, 'jobDuration'> = {
  aciStart: { kind: 'lognormal', medianMs: 2_000, p95Ms: 5_000 },
  aksStart: { kind: 'uniform', minMs: 1_000, maxMs: 3_000 },
  agentRegistration: { kind: 'uniform', minMs: 300, maxMs: 1_200 },
  agentPollMs: 200,
};

/** Job durations: lognormal, median 4 s, p95 12 s. */
export const JOB_DURATION = { kind: 'lognormal', medianMs: 4_000, p95Ms: 12_000 } as const;

export const WEBHOOK_USERNAME = 'chaos-hook';

const ORG = 'https://dev.azure.com/chaos';

/**
 * One pool, two profiles: jobs that only ask for Linux go to AKS virtual nodes (first in config
 * order), jobs that need docker to ACI, so ARM and Kubernetes faults both meet starts and stops.
 * Timers every 30 s and orphans judged after 60 s, so the run's leftovers are judged within it.
 */
export function chaosConfig(): unknown {
  return {
    organizations: [
      {
        url: ORG,
        auth: { kind: 'pat', vaultUrl: 'https://chaos.vault.azure.net', secretName: 'ado-pat' },
        hooksAuth: { kind: 'pat', vaultUrl: 'https://chaos.vault.azure.net', secretName: 'ado-hooks-pat' },
        pools: [
          {
            name: 'linux',
            profiles: [
              { name: 'linux-aks', capabilities: { 'Agent.OS': 'Linux' }, image: 'chaos/ado-agent:4', cpu: 1, memoryGb: 2, maxAgents: 25, launcher: AKS },
              {
                name: 'linux-docker',
                capabilities: { 'Agent.OS': 'Linux', docker: '' },
                image: 'chaos/ado-agent:4',
                cpu: 2,
                memoryGb: 4,
                maxAgents: 20,
                launcher: ACI,
              },
            ],
          },
        ],
      },
    ],
    reconcile: { intervalSeconds: 30 },
    upkeep: { intervalSeconds: 30, orphanGraceSeconds: 60 },
  };
}

/** The two kinds of job, half each. */
export const JOB_KINDS: ReadonlyArray<{ readonly profile: string; readonly demands: readonly string[] }> = [
  { profile: 'linux-aks', demands: ['Agent.OS -equals Linux'] },
  { profile: 'linux-docker', demands: ['docker', 'Agent.OS -equals Linux'] },
];
