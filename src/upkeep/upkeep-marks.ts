import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { azureRestFailure } from '../errors/azure-rest-error';
import { ScalerError } from '../errors/scaler-error';
import { tableLocation, tableOnce } from '../storage/table-client';

/** Where upkeep keeps what it must remember between runs: the app's storage, next to the pool leases. */
export const UPKEEP_TABLE = 'agentupkeep';

/** The partition of a profile's marks: stable, and free of the characters Table keys forbid. */
export function markScope(orgKey: string, pool: string, profile: string): string {
  const hash = createHash('sha256').update(`${orgKey}|${pool.toLowerCase()}|${profile}`).digest('hex').slice(0, 16);
  return `${profile}-${hash}`;
}

export type MarkKind = 'idle' | 'orphan';

/**
 * "First seen idle" / "seen orphaned" for one agent container. Functions instances come and go,
 * so nothing is remembered in memory between runs; a Table entity works the same for ACI groups
 * and Kubernetes Jobs (an ACI tag change would be a PUT, which redeploys the container).
 */
export interface Mark {
  readonly kind: MarkKind;
  /** The agent's (container's) name. */
  readonly name: string;
  readonly since: Date;
  /**
   * The container's creation time: a container created again under the same name (a retried
   * job request) does not inherit an old mark.
   */
  readonly containerCreatedAt: string;
}

export interface UpkeepMarks {
  /** Every mark of one profile (the partition is the profile's capacity key). */
  list(scope: string): Promise<Mark[]>;
  put(scope: string, mark: Mark): Promise<void>;
  /** Idempotent. */
  remove(scope: string, kind: MarkKind, name: string): Promise<void>;
}

export function createUpkeepMarks(client: TableClient): UpkeepMarks {
  const table = tableOnce(client, (e) => storageError(client, 'create', e));
  return {
    async list(scope) {
      await table();
      const marks: Mark[] = [];
      try {
        for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${scope}` } })) {
          const [kind, name, since, createdAt] = [e.kind, e.name, e.since, e.containerCreatedAt];
          if ((kind === 'idle' || kind === 'orphan') && typeof name === 'string' && typeof since === 'string' && typeof createdAt === 'string') {
            marks.push({ kind, name, since: new Date(since), containerCreatedAt: createdAt });
          }
        }
      } catch (e) {
        throw storageError(client, 'read', e);
      }
      return marks;
    },
    async put(scope, mark) {
      await table();
      const entity = {
        partitionKey: scope,
        rowKey: rowKey(mark.kind, mark.name),
        kind: mark.kind,
        name: mark.name,
        since: mark.since.toISOString(),
        containerCreatedAt: mark.containerCreatedAt,
      };
      await client.upsertEntity(entity, 'Replace').catch((e: unknown) => Promise.reject(storageError(client, 'write', e)));
    },
    async remove(scope, kind, name) {
      await table();
      try {
        await client.deleteEntity(scope, rowKey(kind, name));
      } catch (e) {
        if (azureRestFailure(e).status !== 404) throw storageError(client, 'delete', e);
      }
    },
  };
}

// Agent names are lowercase letters, digits and dashes: valid in a RowKey as they are.
function rowKey(kind: MarkKind, name: string): string {
  return `${kind}-${name}`;
}

/** No `cause`: SDK errors carry the request, with its Authorization header. */
function storageError(client: TableClient, action: string, error: unknown): ScalerError {
  const status = azureRestFailure(error).status;
  const where = tableLocation(client);
  if (status === 401 || status === 403) {
    return new ScalerError(
      'permanent',
      `Upkeep cannot ${action} ${where} (HTTP ${status}): grant the function app's identity "Storage Table Data Contributor" on the storage account.`,
      { status },
    );
  }
  return new ScalerError(
    'transient',
    `Upkeep could not ${action} ${where} (${status ? `HTTP ${status}` : 'network error'}); the next run tries again.`,
    status ? { status } : {},
  );
}
