import { randomUUID } from 'node:crypto';
import type { OrganizationConfig, PoolConfig, ScalerConfig } from '../config/schema';
import { orgKeyOf } from '../config/org-url';
import { errorMessage } from '../errors/error-message';
import type { Logger } from '../log/logger';
import { failedPassRecord, formatRecord } from '../log/telemetry-record';
import { parsePoolSignal, type PoolSignal } from '../queue/pool-signal';
import type { SignalQueue } from '../queue/signal-queue';
import type { Counters } from '../metrics/counters';
import { describePass } from './describe-pass';
import { FIRST_LOOK_BACK_MS, jobWaitRecords, passRecord } from './pass-records';
import { poolLeaseKey, retryDelayMs, type PassOutcome, type PoolLease } from './pool-lease';
import { passPool, type PassDeps, type PassResult } from './pool-pass';

export interface SchedulerDeps extends Omit<PassDeps, 'stillHolder' | 'graceMs'> {
  readonly config: ScalerConfig;
  readonly lease: PoolLease;
  readonly signals: SignalQueue;
  readonly counters: Counters;
  readonly log: Logger;
}

export type SignalOutcome =
  | { readonly kind: 'passed'; readonly passes: number }
  /** Another pass of the pool runs now and will pass once more. */
  | { readonly kind: 'coalesced' }
  /** The pool backs off after failed passes; a scheduled signal brings its next pass. */
  | { readonly kind: 'deferred'; readonly until: number }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'poison'; readonly reason: string };

/** Longer than any pass should take; a holder that dies frees its pool after this. */
export const LEASE_TTL_MS = 60_000;
/** Passes one invocation runs for signals that keep coming, before it hands over to a scheduled signal. */
const MAX_PASSES = 10;

/**
 * One "pool P needs a look" signal: the pool's pass, unless another instance runs it now (then
 * that one passes once more) or the pool backs off after failures. With an organization-wide cap
 * (maxParallelJobs) the lease and the pass cover every pool of the organization, so that no two
 * pools spend the same room at once.
 */
export async function handleSignal(body: unknown, deps: SchedulerDeps): Promise<SignalOutcome> {
  const parsed = parsePoolSignal(body);
  if (!parsed.ok) return { kind: 'poison', reason: parsed.reason };
  const signal = parsed.signal;
  const org = deps.config.organizations.find((o) => o.url.key === orgKeyOf(signal.orgUrl));
  const pool = org?.pools.find((p) => p.name.toLowerCase() === signal.pool.toLowerCase());
  if (!org || !pool) return { kind: 'ignored', reason: `pool "${signal.pool}" of ${signal.orgUrl} is no longer in the config` };

  const key = poolLeaseKey(org, pool);
  const holder = randomUUID();
  const acquired = await deps.lease.acquire(key, holder, LEASE_TTL_MS);
  if (acquired.state === 'busy') {
    deps.counters.increment('signalsCoalesced');
    return { kind: 'coalesced' };
  }
  if (acquired.state === 'deferred') return { kind: 'deferred', until: acquired.until };

  const pools = org.maxParallelJobs !== undefined ? org.pools : [pool];
  // Profiles whose starts failed back off alone; one that fails again in this invocation waits at least the first delay.
  const profileBackoffs = new Map(acquired.profiles);
  // Per pool, the latest assignment whose wait is logged: each job's wait is logged once, whichever instance passes.
  const waitCursors = new Map(acquired.waitCursors ?? []);
  let passes = 0;
  let heldSince = deps.now();
  // Within half its time to live the lease is certainly still ours: no round trip to renew it.
  const stillHolder = async () => deps.now() - heldSince < LEASE_TTL_MS / 2 || (await deps.lease.renew(key, holder, LEASE_TTL_MS));
  for (;;) {
    passes++;
    const results: PassResult[] = [];
    let outcome: PassOutcome = { failed: false };
    const trigger = passes === 1 ? signal.reason : 'again';
    let current = pool;
    try {
      for (const p of pools) {
        current = p;
        const result = await passPool(
          org,
          p,
          { ...deps, graceMs: deps.config.scheduler.idleGraceSeconds * 1000, stillHolder, profileBackoffs },
          announced(org, passes, signal),
        );
        results.push(result);
        deps.counters.increment('agentsStarted', result.started.length);
        deps.counters.increment('agentsStopped', result.stopped.length);
        deps.counters.increment('unmatchedJobs', result.unmatched.length);
        const line = describePass(p.name, trigger, result);
        if (line) deps.log.info(line);
        for (const f of result.startFailures) profileBackoffs.set(f.profile, deps.now() + retryDelayMs(1, f.retryAfterMs));
        logTelemetry(org, p, trigger, result, profileBackoffs, waitCursors, deps.log);
        if (result.abandoned) {
          // The lease ran out during the pass: whoever holds it now answers, else this look does.
          await scheduleNext(signal, pool, [deps.now()], false, deps);
          return { kind: 'passed', passes };
        }
      }
    } catch (e) {
      const retryAfterMs = (e as { retryAfterMs?: number } | undefined)?.retryAfterMs;
      const reason = errorMessage(e);
      outcome = { failed: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), reason };
      deps.log.warn(`scheduler: the pass of pool "${pool.name}" of ${org.url.url} failed; it backs off and tries again: ${reason}`);
      deps.log.info(formatRecord(failedPassRecord(org.url.url, current.name, trigger, e)));
    }
    if (!outcome.failed) {
      outcome = {
        failed: false,
        started: results.flatMap((r) => r.startedProfiles),
        startFailures: results.flatMap((r) =>
          r.startFailures.map((f) => ({ profile: f.profile, reason: f.message, ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}) })),
        ),
      };
    }
    if (waitCursors.size > 0) outcome = { ...outcome, waitCursors: Object.fromEntries(waitCursors) };
    deps.counters.increment('passes');
    if (outcome.failed) deps.counters.increment('passFailures');
    const released = await deps.lease.release(key, holder, LEASE_TTL_MS, outcome, passes >= MAX_PASSES);
    if (released === 'again') {
      heldSince = deps.now();
      continue;
    }
    const next = results.flatMap((r) => (r.nextPassAt !== undefined ? [r.nextPassAt] : []));
    if (outcome.failed) next.push(await deps.lease.notBefore(key));
    // A profile's back-off ends in a pass of its own, whatever the plan (made before the failure) asked for.
    else if (outcome.startFailures?.length) for (const b of (await deps.lease.backoffs(key)).profiles.values()) next.push(b.until);
    // Handed over: the lease is free, and a new signal brings the pass the latest ones asked for.
    if (released === 'pending') next.push(deps.now());
    await scheduleNext(signal, pool, next, outcome.failed, deps);
    return { kind: 'passed', passes };
  }
}

/**
 * Azure Monitor's records of one pool pass (./pass-records.ts): the pass, and the wait
 * of every job ADO assigned since the pool's cursor, which moves on.
 */
function logTelemetry(
  org: OrganizationConfig,
  pool: PoolConfig,
  trigger: string,
  result: PassResult,
  startBackoffs: ReadonlyMap<string, number>,
  waitCursors: Map<string, number>,
  log: Logger,
): void {
  const record = passRecord({ orgUrl: org.url.url, pool, trigger, result, now: result.listedAt, startBackoffs });
  if (record) log.info(formatRecord(record));
  const key = pool.name.toLowerCase();
  const waits = jobWaitRecords(org.url.url, pool, result.requests, waitCursors.get(key) ?? result.listedAt - FIRST_LOOK_BACK_MS);
  for (const w of waits.records) log.info(formatRecord(w));
  waitCursors.set(key, waits.cursor);
}

/**
 * The pool's next pass at the earliest time a pass asked for. Times beyond the next reconcile
 * tick are left to that tick's pass, which asks again: no message waits hours in the queue.
 */
async function scheduleNext(signal: PoolSignal, pool: PoolConfig, times: readonly number[], failed: boolean, deps: SchedulerDeps): Promise<void> {
  if (times.length === 0) return;
  const at = Math.max(Math.min(...times), deps.now());
  // After a failure, signals find the pool deferred until then: this one must come.
  if (!failed && at > deps.now() + deps.config.reconcile.intervalSeconds * 1000) return;
  await deps.signals.signal(
    [{ version: 2, orgUrl: signal.orgUrl, pool: pool.name, reason: 'scheduled', observedAt: new Date(deps.now()).toISOString() }],
    new Date(at),
  );
}

/**
 * The job a waiting event announced, for a pass to look again shortly if its listing does not
 * show it yet. Only where the organization has one managed pool: the event names no pool, and
 * with several every other pool would look again for a job that is not theirs.
 */
function announced(org: OrganizationConfig, passes: number, signal: PoolSignal): string[] {
  return passes === 1 && signal.jobId && org.pools.length === 1 ? [signal.jobId] : [];
}
