import type { TableClient } from '@azure/data-tables';
import { ScalerError } from '../errors/scaler-error';
import { tableOnce } from '../storage/table-client';

export type AcquireResult =
  | { readonly state: 'acquired' }
  /** Another instance passes now; it was told to pass once more. */
  | { readonly state: 'busy'; readonly until: number }
  /** The pool's last passes failed: nothing runs before `until`, when a scheduled signal comes. */
  | { readonly state: 'deferred'; readonly until: number };
/** 'pending': signals came meanwhile, but the caller asked to let go anyway (it hands them to a new signal). */
export type ReleaseResult = 'released' | 'again' | 'pending';

/** How a pass ended, for the pool's back-off. */
export type PassOutcome = { readonly failed: false } | { readonly failed: true; readonly retryAfterMs?: number };

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
  readonly etag?: string;
}

/** 5 s, 10 s, 20 s, ... up to 5 minutes; a Retry-After longer than that wins. */
export function retryDelayMs(failures: number, retryAfterMs?: number): number {
  return Math.max(retryAfterMs ?? 0, Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS));
}

export function createPoolLease(client: TableClient, now: () => number = Date.now): PoolLease {
  const table = tableOnce(client, (e) => storageError(client, 'create', e));
  const read = async (poolKey: string): Promise<LeaseEntity | undefined> => {
    await table();
    try {
      const e = await client.getEntity<{ holder?: string; until?: number; again?: boolean; failures?: number; notBefore?: number }>(PARTITION, poolKey);
      return { holder: e.holder ?? '', until: Number(e.until ?? 0), again: e.again === true, failures: Number(e.failures ?? 0), notBefore: Number(e.notBefore ?? 0), etag: e.etag };
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
  const idle = { holder: '', until: 0, again: false, failures: 0, notBefore: 0 };

  return {
    async acquire(poolKey, holder, ttlMs) {
      for (;;) {
        const lease = await read(poolKey);
        const t = now();
        if (lease && lease.notBefore > t) return { state: 'deferred', until: lease.notBefore };
        if (!lease || !lease.holder || lease.until <= t || lease.holder === holder) {
          if (await write(poolKey, { ...(lease ?? idle), holder, until: t + ttlMs, again: false }, lease?.etag)) return { state: 'acquired' };
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
        if (lease.again && !outcome.failed && !final) {
          if (await write(poolKey, { ...lease, until: t + ttlMs, again: false, failures, notBefore }, lease.etag)) return 'again';
          continue;
        }
        // After a failure the signal scheduled for notBefore stands for those that came meanwhile.
        if (await write(poolKey, { ...idle, failures, notBefore }, lease.etag)) return lease.again && !outcome.failed ? 'pending' : 'released';
      }
    },
    async notBefore(poolKey) {
      return (await read(poolKey))?.notBefore ?? 0;
    },
  };
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

/** No `cause`: SDK errors carry the request, with its Authorization header. */
function storageError(client: TableClient, action: string, error: unknown): ScalerError {
  const status = statusOf(error);
  const url = new URL(client.url);
  const where = `table "${client.tableName}" at ${url.origin}${url.pathname.replace(/\/$/, '')}`;
  if (status === 401 || status === 403) {
    return new ScalerError('permanent', `The scheduler cannot ${action} its pool leases in ${where} (HTTP ${status}): grant the function app's identity "Storage Table Data Contributor" on the storage account.`, { status });
  }
  return new ScalerError('transient', `The scheduler could not ${action} its pool leases in ${where} (${status ? `HTTP ${status}` : 'network error'}); the pass is tried again.`, status ? { status } : {});
}
