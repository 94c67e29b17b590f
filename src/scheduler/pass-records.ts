import type { JobRequest } from '../ado/job-requests';
import type { PoolConfig } from '../config/schema';
import { profileAgentName } from '../launchers/agent-name';
import { JOB_WAIT_EVENT, PASS_EVENT, RECORD_VERSION, type JobWaitRecord, type PassRecord, type ProfileFigures } from '../log/telemetry-record';
import type { PassResult } from './pool-pass';

// Azure Monitor's records of a pool pass and of each job's wait, built from what the pass saw and
// did; their shapes and format are in src/log/telemetry-record.ts, below every folder that logs.

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.round(ms / 100) / 10;
/** Reasons can quote ARM at length; a record stays one readable line. */
const REASON_MAX = 300;

/** The pool's profile an agent name belongs to (`ado-{pool}-{hash}-{profile}-{suffix}`), if any. */
export function profileOfAgent(orgUrl: string, pool: PoolConfig, agentName: string | undefined): string | undefined {
  if (!agentName) return undefined;
  const name = agentName.toLowerCase();
  return pool.profiles.find((p) => {
    const prefix = profileAgentName(orgUrl, pool.name, p.name, '').toLowerCase();
    return name.startsWith(prefix) && name.length === prefix.length + 6;
  })?.name;
}

export interface PassRecordInput {
  readonly orgUrl: string;
  readonly pool: PoolConfig;
  readonly trigger: string;
  readonly result: PassResult;
  /** The pass's clock, as it planned with. */
  readonly now: number;
  /** Profiles whose starts back off after failing, by profileBackoffKey (`pool/profile`), until when (epoch ms). */
  readonly startBackoffs?: ReadonlyMap<string, number>;
}

/**
 * The record of one pool pass: per profile what it counted, decided and did, what held it back
 * and why it failed to start; the pool's waiting jobs and the oldest one's wait. Undefined for a
 * quiet pass (nothing waiting, running, started, stopped, backing off or failing), which logs
 * nothing, as its log line does not either.
 */
export function passRecord(input: PassRecordInput): PassRecord | undefined {
  const { result, pool, now } = input;
  const waitingSince = result.requests.flatMap((r) => (r.state === 'waiting' && r.queueTime ? [Date.parse(r.queueTime)] : [])).filter((t) => !Number.isNaN(t));
  const waitingJobs = result.requests.filter((r) => r.state === 'waiting').length;
  const countBy = (names: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const name of names) {
      const profile = profileOfAgent(input.orgUrl, pool, name);
      if (profile) counts.set(profile, (counts.get(profile) ?? 0) + 1);
    }
    return counts;
  };
  const [started, stopped] = [countBy(result.started), countBy(result.stopped)];
  const profiles = result.plan.profiles.map((d): ProfileFigures => {
    const loop = result.crashLoops[d.profile];
    // profileBackoffKey's format, not imported: pool-lease would bring the Table client into upkeep's imports.
    const key = `${pool.name.toLowerCase()}/${d.profile}`;
    const failure = result.startFailures.find((f) => f.profile === key);
    const startBackoff = input.startBackoffs?.get(key);
    const backoff: Pick<ProfileFigures, 'backoff' | 'backoffUntil' | 'backoffReason'> = loop
      ? { backoff: 'crashLoop', backoffUntil: iso(loop.backedOffUntil), backoffReason: loop.reason.slice(0, REASON_MAX) }
      : startBackoff !== undefined && startBackoff > now
        ? { backoff: 'startFailed', backoffUntil: iso(startBackoff), ...(failure ? { backoffReason: failure.message.slice(0, REASON_MAX) } : {}) }
        : {};
    return {
      profile: d.profile,
      waiting: d.waiting,
      standby: d.standby,
      starting: d.starting,
      idle: d.idle,
      busy: d.busy,
      start: d.start,
      started: started.get(d.profile) ?? 0,
      stopped: stopped.get(d.profile) ?? 0,
      ...(d.heldBack ? { heldBack: d.heldBack } : {}),
      ...backoff,
      ...(failure?.error ?? {}),
    };
  });
  const quiet =
    waitingJobs === 0 &&
    result.unmatched.length === 0 &&
    profiles.every((p) => p.starting + p.idle + p.busy + p.start + p.started + p.stopped === 0 && !p.backoff && !p.errorKind);
  if (quiet) return undefined;
  return {
    event: PASS_EVENT,
    v: RECORD_VERSION,
    org: input.orgUrl,
    pool: pool.name,
    trigger: input.trigger,
    outcome: result.abandoned ? 'abandoned' : 'ok',
    waitingJobs,
    ...(waitingSince.length ? { oldestWaitSeconds: Math.max(0, seconds(now - Math.min(...waitingSince))) } : {}),
    unmatchedJobs: result.unmatched.length,
    profiles,
    ...(result.nextPassAt !== undefined ? { nextPassAt: iso(result.nextPassAt) } : {}),
  };
}

/** When a pool has no cursor yet (its first pass with this code), assignments this recent are logged. */
export const FIRST_LOOK_BACK_MS = 5 * 60_000;

/**
 * Queued → assigned, once per job: the requests of a listing that ADO assigned after `since`
 * (the latest assignment logged before, by ADO's clock), and the new cursor. A request stays in
 * the listings while it runs and for a while after, so without the cursor every pass would log
 * it again; with it, kept in the pool's lease between passes on any instance, each job is logged
 * once (twice only when a pass dies between logging and letting go of its lease).
 */
export function jobWaitRecords(
  orgUrl: string,
  pool: PoolConfig,
  requests: readonly JobRequest[],
  since: number,
): { readonly records: JobWaitRecord[]; readonly cursor: number } {
  let cursor = since;
  const records: JobWaitRecord[] = [];
  for (const r of requests) {
    if (r.state === 'waiting' || !r.assignTime || !r.queueTime) continue;
    const [queued, assigned] = [Date.parse(r.queueTime), Date.parse(r.assignTime)];
    if (Number.isNaN(queued) || Number.isNaN(assigned) || assigned <= since) continue;
    cursor = Math.max(cursor, assigned);
    records.push({
      event: JOB_WAIT_EVENT,
      v: RECORD_VERSION,
      org: orgUrl,
      pool: pool.name,
      profile: profileOfAgent(orgUrl, pool, r.agentName) ?? '',
      agent: r.agentName ?? '',
      requestId: r.requestId,
      jobId: r.jobId,
      queuedAt: iso(queued),
      assignedAt: iso(assigned),
      waitSeconds: Math.max(0, seconds(assigned - queued)),
    });
  }
  return { records: records.sort((a, b) => a.assignedAt.localeCompare(b.assignedAt)), cursor };
}
