import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { OrganizationConfig, PoolConfig } from '../config/schema';
import { azureRestFailure } from '../errors/azure-rest-error';
import { ScalerError } from '../errors/scaler-error';
import { tableLocation, tableOnce } from '../storage/table-client';
import type { Clock } from '../time/clock';

export type AcquireResult =
  /**
   * `profiles`: the pool's profiles whose starts back off, keyed by profileBackoffKey, with when each may start again.
   * `waitCursors`: per pool (lowercase name), the latest job assignment whose wait was logged (epoch ms); absent when none.
   */
  | { readonly state: 'acquired'; readonly profiles: ReadonlyMap<string, number>; readonly waitCursors?: ReadonlyMap<string, number> }
  /** Another instance passes now; it was told to pass once more. */
  | { readonly state: 'busy'; readonly until: number }
  /** The pool's last passes failed: nothing runs before `until`, when a scheduled signal comes. */
  | { readonly state: 'deferred'; readonly until: number };
/** 'pending': signals came meanwhile, but the caller asked to let go anyway (it hands them to a new signal). */
export type ReleaseResult = 'released' | 'again' | 'pending';

/**
 * How a pass ended. A pass that failed as a whole (ADO, ARM listings, the lease) backs the pool
 * off; a profile whose starts failed (throttled, quota, no Spot capacity) backs off alone, so a
 * profile waiting for Spot does not hold up the other profiles of its pool. `reason` is for /api/status.
 */
export type PassOutcome = (
  | {
      readonly failed: false;
      /** Profiles (profileBackoffKey) that started agents: their back-off is over. */
      readonly started?: readonly string[];
      readonly startFailures?: ReadonlyArray<{ readonly profile: string; readonly retryAfterMs?: number; readonly reason: string }>;
    }
  | { readonly failed: true; readonly retryAfterMs?: number; readonly reason?: string }
) & {
  /** Per pool (lowercase name), the latest job assignment whose wait the passes logged (epoch ms): kept for the next holder. */
  readonly waitCursors?: Readonly<Record<string, number>>;
};

/** A pool or a profile backing off after failures: until when, and why. */
export interface Backoff {
  readonly until: number;
  readonly reason: string;
}

export interface PoolBackoffs {
  readonly pool?: Backoff;
  /** By profileBackoffKey. */
  readonly profiles: ReadonlyMap<string, Backoff>;
}

/** Profile names are unique within a pool only, and an organization-wide lease holds every pool's. */
export function profileBackoffKey(pool: string, profile: string): string {
  return `${pool.toLowerCase()}/${profile}`;
}

/**
 * At most one scheduler pass per pool at a time, across every Functions instance: a lease per
 * pool in a Table entity, written with If-Match on its ETag. A signal that finds the lease held
 * marks it "again", and the holder runs one more pass before it lets go — so any number of
 * signals during a pass cost one more pass, and none is lost. A holder that dies leaves a lease
 * that expires after its time to live. Failed passes (throttling, quota, ADO or ARM down) set
 * a growing delay, or the Retry-After, before which signals start no pass.
 */
export interface PoolLease {
  acquire(poolKey: string, holder: string, ttlMs: number): Promise<AcquireResult>;
  /** Before acting on a plan: false when the lease expired and another holder took it. */
  renew(poolKey: string, holder: string, ttlMs: number): Promise<boolean>;
  /**
   * 'again': signals came while the pass ran (and it did not fail); the lease is renewed and the
   * caller passes again — unless `final`, when the lease is freed all the same and the answer is
   * 'pending'.
   */
  release(poolKey: string, holder: string, ttlMs: number, outcome?: PassOutcome, final?: boolean): Promise<ReleaseResult>;
  /** When the pool may pass again after failures; 0 when it may now. */
  notBefore(poolKey: string): Promise<number>;
  /** The pool's back-off and its profiles' while they last (with a reason), for /api/status. */
  backoffs(poolKey: string): Promise<PoolBackoffs>;
}

const PARTITION = 'pool-pass';
export const FIRST_RETRY_MS = 5_000;
export const MAX_RETRY_MS = 5 * 60_000;

interface LeaseEntity {
  readonly holder: string;
  readonly until: number;
  readonly again: boolean;
  readonly failures: number;
  readonly notBefore: number;
  /** Why the last pass failed: the pool back-off's reason. */
  readonly reason: string;
  /** JSON of the profiles' back-offs (ProfileBackoffs): one property, as Table entities hold no maps. */
  readonly profiles: string;
  /** JSON of the pools' wait cursors (pool → epoch ms), so that each job's wait is logged once whichever instance passes next. */
  readonly waits: string;
  readonly etag?: string;
}

type ProfileBackoffs = Record<string, { readonly failures: number; readonly until: number; readonly reason: string }>;

function parseProfiles(json: string): ProfileBackoffs {
  try {
    const parsed: unknown = JSON.parse(json || '{}');
    return parsed && typeof parsed === 'object' ? (parsed as ProfileBackoffs) : {};
  } catch {
    return {};
  }
}

/** The profiles' back-offs after a pass: a start clears one, a failure lengthens it, and entries long over are dropped. */
function nextProfiles(json: string, outcome: PassOutcome, t: number): string {
  const profiles = { ...parseProfiles(json) };
  if (!outcome.failed) {
    for (const key of outcome.started ?? []) delete profiles[key];
    for (const f of outcome.startFailures ?? []) {
      const failures = (profiles[f.profile]?.failures ?? 0) + 1;
      profiles[f.profile] = { failures, until: t + retryDelayMs(failures, f.retryAfterMs), reason: f.reason };
    }
  }
  for (const [key, b] of Object.entries(profiles)) if (b.until + MAX_RETRY_MS < t) delete profiles[key];
  return JSON.stringify(profiles);
}

function parseWaits(json: string): Record<string, number> {
  try {
    const parsed: unknown = JSON.parse(json || '{}');
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, number] => typeof e[1] === 'number'));
  } catch {
    return {};
  }
}

/** The later of each pool's stored and new cursor. */
function nextWaits(json: string, cursors: Readonly<Record<string, number>> | undefined): string {
  if (!cursors) return json;
  const waits = parseWaits(json);
  for (const [pool, at] of Object.entries(cursors)) waits[pool] = Math.max(waits[pool] ?? 0, at);
  return JSON.stringify(waits);
}

/** Table row keys may not hold '/', '\\', '#' or '?': a hash of the organization and pool (or the whole organization, when it has a cap). */
export function poolLeaseKey(org: OrganizationConfig, pool: PoolConfig): string {
  const scope = org.maxParallelJobs !== undefined ? `${org.url.key}|*` : `${org.url.key}|${pool.name.toLowerCase()}`;
  return createHash('sha256').update(scope).digest('hex').slice(0, 32);
}

/** 5 s, 10 s, 20 s, ... up to 5 minutes; a Retry-After longer than that wins. */
export function retryDelayMs(failures: number, retryAfterMs?: number): number {
  return Math.max(retryAfterMs ?? 0, Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS));
}

export function createPoolLease(client: TableClient, now: Clock): PoolLease {
  const table = tableOnce(client, (e) => storageError(client, 'create', e));
  const read = async (poolKey: string): Promise<LeaseEntity | undefined> => {
    await table();
    try {
      const e = await client.getEntity<{
        holder?: string;
        until?: number;
        again?: boolean;
        failures?: number;
        notBefore?: number;
        reason?: string;
        profiles?: string;
        waits?: string;
      }>(PARTITION, poolKey);
      return {
        holder: e.holder ?? '',
        until: Number(e.until ?? 0),
        again: e.again === true,
        failures: Number(e.failures ?? 0),
        notBefore: Number(e.notBefore ?? 0),
        reason: e.reason ?? '',
        profiles: e.profiles ?? '',
        waits: e.waits ?? '',
        etag: e.etag,
      };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw storageError(client, 'read', e);
    }
  };
  /** false when another writer got there first (409 on create, 412 on update): read again. */
  const write = async (poolKey: string, lease: Omit<LeaseEntity, 'etag'>, etag: string | undefined): Promise<boolean> => {
    const entity = { partitionKey: PARTITION, rowKey: poolKey, ...lease };
    try {
      if (etag === undefined) await client.createEntity(entity);
      else await client.updateEntity(entity, 'Replace', { etag });
      return true;
    } catch (e) {
      if ([409, 412, 404].includes(statusOf(e) ?? 0)) return false;
      throw storageError(client, 'write', e);
    }
  };
  const idle = { holder: '', until: 0, again: false, failures: 0, notBefore: 0, reason: '', profiles: '', waits: '' };

  return {
    async acquire(poolKey, holder, ttlMs) {
      for (;;) {
        const lease = await read(poolKey);
        const t = now();
        if (lease && lease.notBefore > t) return { state: 'deferred', until: lease.notBefore };
        if (!lease || !lease.holder || lease.until <= t || lease.holder === holder) {
          if (await write(poolKey, { ...(lease ?? idle), holder, until: t + ttlMs, again: false }, lease?.etag)) {
            const profiles = Object.entries(parseProfiles(lease?.profiles ?? '')).filter(([, b]) => b.until > t);
            const waits = Object.entries(parseWaits(lease?.waits ?? ''));
            return {
              state: 'acquired',
              profiles: new Map(profiles.map(([key, b]) => [key, b.until])),
              ...(waits.length ? { waitCursors: new Map(waits) } : {}),
            };
          }
          continue;
        }
        if (lease.again || (await write(poolKey, { ...lease, again: true }, lease.etag))) return { state: 'busy', until: lease.until };
      }
    },
    async renew(poolKey, holder, ttlMs) {
      for (;;) {
        const lease = await read(poolKey);
        if (!lease || lease.holder !== holder) return false;
        if (await write(poolKey, { ...lease, until: now() + ttlMs }, lease.etag)) return true;
      }
    },
    async release(poolKey, holder, ttlMs, outcome = { failed: false }, final = false) {
      for (;;) {
        const lease = await read(poolKey);
        // Expired and taken over meanwhile: the new holder answers for what came since.
        if (!lease || lease.holder !== holder) return 'released';
        const t = now();
        const failures = outcome.failed ? lease.failures + 1 : 0;
        const notBefore = outcome.failed ? t + retryDelayMs(failures, outcome.retryAfterMs) : 0;
        const why = {
          reason: outcome.failed ? (outcome.reason ?? '') : '',
          profiles: nextProfiles(lease.profiles, outcome, t),
          waits: nextWaits(lease.waits, outcome.waitCursors),
        };
        if (lease.again && !outcome.failed && !final) {
          if (await write(poolKey, { ...lease, until: t + ttlMs, again: false, failures, notBefore, ...why }, lease.etag)) return 'again';
          continue;
        }
        // After a failure the signal scheduled for notBefore stands for those that came meanwhile.
        if (await write(poolKey, { ...idle, failures, notBefore, ...why }, lease.etag)) return lease.again && !outcome.failed ? 'pending' : 'released';
      }
    },
    async notBefore(poolKey) {
      return (await read(poolKey))?.notBefore ?? 0;
    },
    async backoffs(poolKey) {
      const lease = await read(poolKey);
      const t = now();
      const profiles = Object.entries(parseProfiles(lease?.profiles ?? '')).filter(([, b]) => b.until > t);
      return {
        ...(lease && lease.notBefore > t && lease.reason ? { pool: { until: lease.notBefore, reason: lease.reason } } : {}),
        profiles: new Map(profiles.map(([key, b]) => [key, { until: b.until, reason: b.reason }])),
      };
    },
  };
}

function statusOf(error: unknown): number | undefined {
  return azureRestFailure(error).status;
}

/** No `cause`: SDK errors carry the request, with its Authorization header. */
function storageError(client: TableClient, action: string, error: unknown): ScalerError {
  const status = statusOf(error);
  const where = tableLocation(client);
  if (status === 401 || status === 403) {
    return new ScalerError(
      'permanent',
      `The scheduler cannot ${action} its pool leases in ${where} (HTTP ${status}): grant the function app's identity "Storage Table Data Contributor" on the storage account.`,
      { status },
    );
  }
  return new ScalerError(
    'transient',
    `The scheduler could not ${action} its pool leases in ${where} (${status ? `HTTP ${status}` : 'network error'}); the pass is tried again.`,
    status ? { status } : {},
  );
}
