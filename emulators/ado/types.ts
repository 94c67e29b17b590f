/** Public types of the Azure DevOps emulator: its options, its admin inputs and the views it answers. */
import type { Clock } from '../core/clock';
import type { BaseFault } from '../core/faults';
import type { LogEntry } from '../core/request-log';
import type { HookTimers } from './hook-timers';

export type { HookTimers } from './hook-timers';

export interface OrganizationInput {
  readonly name: string;
  readonly pools: readonly string[];
  /** Project names; the first is where jobs run unless a job names another. Default `['project']`. */
  readonly projects?: readonly string[];
}

export interface AdoEmulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly organizations: readonly OrganizationInput[];
  /**
   * Accepted PATs (Basic auth password): a string has full access, `{token, scopes}` only those
   * scopes (e.g. `['vso.agentpools_manage']`, Agent Pools (Read & manage)). Default `['emulator-pat']`.
   */
  readonly tokens?: ReadonlyArray<string | PatInput>;
  /** Accepted `Authorization: Bearer` tokens (stand-ins for Entra tokens). */
  readonly bearerTokens?: readonly string[];
  /**
   * Fail a queued job at once when no agent of its pool (online, offline or disabled) meets its
   * demands, as ADO does ("No agent found in pool … which satisfies the specified demands").
   * Off by default, so scenarios can queue jobs into pools that have no placeholders.
   */
  readonly failUnmatchedJobs?: boolean;
  /** Also accept bearer tokens this function vouches for, e.g. the identity emulator's `isValid`. */
  readonly acceptBearer?: (token: string) => boolean;
  /**
   * Wait before each retry of a delivery that failed transiently (408, 502, 503, 504, no answer);
   * its length is the number of retries. Default ADO's: 1, 2, 4, 8, 16, 32, 60, 60 s. Tests that
   * make deliveries fail shrink it (e.g. `[20, 40, 80]`).
   */
  readonly hookRetryDelaysMs?: readonly number[];
  /**
   * Wait before each retry of a subscription on probation; when the last one fails it is
   * disabledBySystem. Default ADO's: 20 min, 40 min, 1 h 20, 2 h 40, 5 h 20, 10 h 40, 15 h.
   */
  readonly hookProbationDelaysMs?: readonly number[];
  /** One delivery attempt's limit; a timeout counts as retryable, like a connection error. Default 10 s. */
  readonly hookTimeoutMs?: number;
  /** Time source for every timestamp the emulator reports (`Date.now` by default). */
  readonly now?: Clock;
  /**
   * What hook delivery waits on: real timers by default; a `ManualClock`
   * (test/helpers/manual-clock.ts, its `now` also given as `now`) lets a test move through ADO's
   * retry and probation schedule step by step.
   */
  readonly hookTimers?: HookTimers;
  /** A lossy network between ADO and the receivers; default: no loss, no duplicates. */
  readonly hookLoss?: HookLossOptions;
}

/**
 * Per event delivery to a subscription: with probability `lossRate` it is lost (never sent,
 * logged as `lost`); otherwise, with probability `duplicateRate`, it is delivered twice: two
 * independent deliveries of the same event (same `id` and `notificationId`), each with its own
 * retries, as ADO's at-least-once delivery can.
 */
export interface HookLossOptions {
  /** 0..1 */
  readonly lossRate: number;
  /** 0..1, applied to the deliveries not lost. */
  readonly duplicateRate: number;
  /**
   * Uniform in [0, 1), default `Math.random`. Drawn once per delivery for the loss and, when it
   * was not lost, once more for the duplicate: script it for a deterministic scenario.
   */
  readonly random?: () => number;
}

/** A PAT limited to scopes, as the PAT dialog's "Custom defined" makes it. */
export interface PatInput {
  readonly token: string;
  /** Scope ids as ADO names them: `vso.agentpools_manage`, `vso.build`, `vso.project`, ... */
  readonly scopes: readonly string[];
}

export type JobState = 'waiting' | 'running' | 'finished';
/** TaskResult values as ADO writes them in job requests. */
export const JOB_RESULTS = ['succeeded', 'succeededWithIssues', 'failed', 'canceled', 'skipped', 'abandoned'] as const;
export type JobResult = (typeof JOB_RESULTS)[number];

export interface QueueJobInput {
  /** Default: the first organization. */
  readonly org?: string;
  readonly pool: string;
  /** As ADO sends them: `"docker"`, `"Agent.OS -equals Linux"`, `"Agent.Version -gtVersion 2.x"`. */
  readonly demands?: readonly string[];
  /** Default: the organization's first project. */
  readonly project?: string;
  /** Reuse a jobId, as ADO does when a job is retried (a new request, a higher requestId). */
  readonly jobId?: string;
  readonly jobName?: string;
  readonly stageName?: string;
  readonly pipelineName?: string;
}

export interface QueuedJob {
  readonly jobId: string;
  readonly requestId: number;
}

export interface JobView {
  readonly requestId: number;
  readonly jobId: string;
  readonly org: string;
  readonly pool: string;
  readonly poolId: number;
  readonly project: string;
  readonly state: JobState;
  readonly result?: JobResult;
  readonly agentName?: string;
  readonly demands: readonly string[];
  readonly queueTime: string;
  readonly assignTime?: string;
  readonly finishTime?: string;
}

export interface OrganizationView {
  readonly name: string;
  readonly url: string;
  readonly pools: ReadonlyArray<{ readonly id: number; readonly name: string }>;
  readonly projects: ReadonlyArray<{ readonly id: string; readonly name: string }>;
}

/**
 * `injectFault` and `POST /_admin/faults` (see emulators/core/faults.ts for the matching rules):
 * a 429 answers ADO's TF400733 with `X-RateLimit-*`, any other status a plain ADO error body.
 */
export type FaultInput = BaseFault;

/** ADO's own fields of a request log entry, beside the common ones (emulators/core/request-log.ts). */
export interface AdoRequestFields {
  readonly org?: string;
  readonly poolId?: number;
  /** A job request listing without completedRequestCount: the whole history, which real pools make huge. */
  readonly unbounded?: boolean;
  /** The request's User-Agent header: tells the scaler's client (azure-devops-node-api) from simulated agents (`VstsAgentCore-…`). */
  readonly userAgent?: string;
}

/** A REST call under `/{org}/_apis` (admin calls are not logged). */
export type RequestLogEntry = LogEntry<AdoRequestFields>;

/**
 * `retrying`: a transient failure, retried; `probation`: the subscription is (still) on probation;
 * `disabled`: it is disabledBySystem (a 410, or the last probation retry failed); `dropped`: not
 * sent, the subscription was not enabled; `lost`: lost on the way by `hookLoss`, never sent.
 */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'probation' | 'disabled' | 'dropped' | 'lost';

export interface DeliveryLogEntry {
  readonly subscriptionId: string;
  readonly url: string;
  readonly eventId: string;
  readonly notificationId: number;
  readonly requestId: number;
  readonly jobId: string;
  readonly jobState: string;
  readonly attempt: number;
  /** HTTP status, or null for a connection error, a timeout or a delivery not attempted. */
  readonly status: number | null;
  readonly error?: string;
  readonly outcome: DeliveryOutcome;
  readonly time: string;
  /** The second copy of an event `hookLoss` delivered twice. */
  readonly duplicate?: boolean;
  /** Which of the probation schedule's retries this attempt was (1 = the first, 20 min after probation began). */
  readonly probationRetry?: number;
}
