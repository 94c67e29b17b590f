import type { TableClient } from '@azure/data-tables';
import { ScalerError } from '../errors/scaler-error';
import { tableOnce } from '../launch/capacity-table';

export type AcquireResult = { readonly state: 'acquired' } | { readonly state: 'busy'; readonly until: number };
export type ReleaseResult = 'released' | 'again';

/**
 * At most one scheduler pass per pool at a time, across every Functions instance: a lease per
 * pool in a Table entity, written with If-Match on its ETag. A signal that finds the lease held
 * marks it "again", and the holder runs one more pass before it lets go — so any number of
 * signals during a pass cost one more pass, and none is lost. A holder that dies leaves a lease
 * that expires after its time to live.
 */
export interface PoolLease {
  acquire(poolKey: string, holder: string, ttlMs: number): Promise<AcquireResult>;
  /** 'again': signals came while the pass ran; the lease is renewed and the caller passes again. */
  release(poolKey: string, holder: string, ttlMs: number): Promise<ReleaseResult>;
}

const PARTITION = 'pool-pass';

interface LeaseEntity {
  readonly holder: string;
  readonly until: number;
  readonly again: boolean;
  readonly etag?: string;
}

export function createPoolLease(client: TableClient, now: () => number = Date.now): PoolLease {
  const table = tableOnce(client, (e) => storageError(client, 'create', e));
  const read = async (poolKey: string): Promise<LeaseEntity | undefined> => {
    try {
      const e = await client.getEntity<{ holder?: string; until?: number; again?: boolean }>(PARTITION, poolKey);
      return { holder: e.holder ?? '', until: Number(e.until ?? 0), again: e.again === true, etag: e.etag };
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

  return {
    async acquire(poolKey, holder, ttlMs) {
      await table();
      for (;;) {
        const lease = await read(poolKey);
        const t = now();
        if (!lease || !lease.holder || lease.until <= t || lease.holder === holder) {
          if (await write(poolKey, { holder, until: t + ttlMs, again: false }, lease?.etag)) return { state: 'acquired' };
          continue;
        }
        if (lease.again || (await write(poolKey, { ...lease, again: true }, lease.etag))) return { state: 'busy', until: lease.until };
      }
    },
    async release(poolKey, holder, ttlMs) {
      await table();
      for (;;) {
        const lease = await read(poolKey);
        // Expired and taken over meanwhile: the new holder answers for what came since.
        if (!lease || lease.holder !== holder) return 'released';
        if (lease.again) {
          if (await write(poolKey, { holder, until: now() + ttlMs, again: false }, lease.etag)) return 'again';
          continue;
        }
        if (await write(poolKey, { holder: '', until: 0, again: false }, lease.etag)) return 'released';
      }
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
