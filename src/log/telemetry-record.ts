import { errorKind, type ErrorKind } from '../errors/scaler-error';

/**
 * Structured telemetry for Azure Monitor, as one JSON object per log line.
 *
 * Why a JSON message and not named properties: a Node.js worker's `context.log(...)` reaches the
 * Functions host as one formatted string (@azure/functions joins its arguments with util.format),
 * and the host logs a user log's message alone, so Application Insights' customDimensions get
 * only what the host adds (Category, LogLevel, InvocationId, ...), never fields of ours. Only
 * the Application Insights SDK (cold start) would set them. So every record is a JSON object
 * whose first key, `event`, names it; KQL finds it with `Message startswith '{"event":"scaler.pass",'`
 * and reads its fields with `parse_json(Message)` (README: "Azure Monitor").
 *
 * Pure: the records' shapes and format; the scheduler builds its pass and job wait records in
 * src/scheduler/pass-records.ts, upkeep its hook records here, and both log them with `formatRecord`.
 */

export const PASS_EVENT = 'scaler.pass';
export const JOB_WAIT_EVENT = 'scaler.jobWait';
export const HOOK_EVENT = 'scaler.hook';
/** Bumped when a field changes meaning or goes away; new fields do not bump it. */
export const RECORD_VERSION = 1;

/** What KQL filters on: the start of every record of that event, as `formatRecord` writes it. */
export function recordPrefix(event: string): string {
  return `{"event":${JSON.stringify(event)},`;
}

/** A failure, in the fields charts and alerts group by. */
export interface ErrorFields {
  /** What the scaler does about it (ScalerError kind): retry soon, after a delay, or not. */
  readonly errorKind: ErrorKind;
  /** The HTTP status the service answered, when there was one. */
  readonly errorStatus?: number;
  /** The scaler's name for a condition it recognises (`AciQuotaExceeded`), else the service's code. */
  readonly errorCode?: string;
}

export function errorFields(error: unknown): ErrorFields {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    details?: { status?: unknown; code?: unknown };
    statusCode?: unknown;
    code?: unknown;
  };
  const status = e.details?.status ?? e.statusCode;
  const code = e.details?.code ?? e.code;
  return {
    errorKind: errorKind(error),
    ...(typeof status === 'number' ? { errorStatus: status } : {}),
    ...(typeof code === 'string' && code ? { errorCode: code } : {}),
  };
}

export type ProfileBackoff = 'crashLoop' | 'startFailed';

export interface ProfileFigures extends Partial<ErrorFields> {
  readonly profile: string;
  readonly waiting: number;
  readonly standby: number;
  readonly starting: number;
  readonly idle: number;
  readonly busy: number;
  /** Agents the plan asked to start, and those that did start. */
  readonly start: number;
  readonly started: number;
  readonly stopped: number;
  /** Why fewer started than demand asked for. */
  readonly heldBack?: string;
  /** Set while the profile starts nothing: its agents keep exiting before a job, or its starts failed. */
  readonly backoff?: ProfileBackoff;
  readonly backoffUntil?: string;
  readonly backoffReason?: string;
}

export interface PassRecord extends Partial<ErrorFields> {
  readonly event: typeof PASS_EVENT;
  readonly v: number;
  readonly org: string;
  readonly pool: string;
  /** What brought the pass: the signal's reason (event, timer, agent, scheduled), or `again`. */
  readonly trigger: string;
  readonly outcome: 'ok' | 'failed' | 'abandoned';
  /** Waiting jobs of the pool (those no profile serves included), and how long the oldest has waited. */
  readonly waitingJobs?: number;
  readonly oldestWaitSeconds?: number;
  readonly unmatchedJobs?: number;
  readonly profiles: readonly ProfileFigures[];
  readonly nextPassAt?: string;
}

export interface JobWaitRecord {
  readonly event: typeof JOB_WAIT_EVENT;
  readonly v: number;
  readonly org: string;
  readonly pool: string;
  /** The profile whose agent took the job; empty when the agent is not one of ours. */
  readonly profile: string;
  readonly agent: string;
  readonly requestId: number;
  readonly jobId: string;
  readonly queuedAt: string;
  readonly assignedAt: string;
  /** Queued → assigned, as ADO timed both. */
  readonly waitSeconds: number;
}

export interface HookRecord {
  readonly event: typeof HOOK_EVENT;
  readonly v: number;
  readonly org: string;
  /**
   * After upkeep's run: `enabled` (every subscription of ours), else ADO's status of one still not
   * enabled (`disabledByUser`, or one re-enabling failed for), `none` (no subscription of ours),
   * `skipped` (no credential for service hooks) or `error` (they could not be listed).
   */
  readonly status: string;
  /** Whether every subscription of ours is enabled after the run (re-enabled ones count); null when unknown. */
  readonly enabled: boolean | null;
  /** Our subscriptions' statuses as ADO listed them, before upkeep re-enabled any. */
  readonly found?: readonly string[];
  readonly reenabled: number;
}

export type TelemetryRecord = PassRecord | JobWaitRecord | HookRecord;

/** One line, the event first. */
export function formatRecord(record: TelemetryRecord): string {
  return JSON.stringify(record);
}

/** A pass that failed as a whole (ADO, a listing, the lease): the pool backs off. */
export function failedPassRecord(orgUrl: string, pool: string, trigger: string, error: unknown): PassRecord {
  return { event: PASS_EVENT, v: RECORD_VERSION, org: orgUrl, pool, trigger, outcome: 'failed', profiles: [], ...errorFields(error) };
}

/** One organization as upkeep's service hook check saw it (HookHealthReport.organizations). */
export interface HookCheck {
  readonly orgUrl: string;
  /** Our subscriptions, their statuses as ADO listed them and whether upkeep re-enabled them; absent when they could not be listed. */
  readonly subscriptions?: ReadonlyArray<{ readonly id: string; readonly status: string; readonly reenabled: boolean }>;
  readonly skipped?: string;
  readonly error?: string;
}

/** One record per organization and upkeep run: whether our service hook subscriptions are enabled. */
export function hookRecords(checks: readonly HookCheck[]): HookRecord[] {
  return checks.map((c): HookRecord => {
    const subs = c.subscriptions;
    const reenabled = subs?.filter((s) => s.reenabled).length ?? 0;
    const base = { event: HOOK_EVENT, v: RECORD_VERSION, org: c.orgUrl } as const;
    if (c.skipped) return { ...base, status: 'skipped', enabled: null, reenabled };
    if (!subs) return { ...base, status: 'error', enabled: null, reenabled };
    const still = subs.filter((s) => s.status !== 'enabled' && !s.reenabled);
    const status = subs.length === 0 ? 'none' : (still[0]?.status ?? 'enabled');
    return { ...base, status, enabled: subs.length > 0 && still.length === 0, found: subs.map((s) => s.status), reenabled };
  });
}
