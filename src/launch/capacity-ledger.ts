import { createHash } from 'node:crypto';
import type { TableClient, TableEntity } from '@azure/data-tables';
import { ScalerError } from '../errors/scaler-error';

const PARTITION = 'capacity';
// A string property holds at most 64 KiB of UTF-16 (32K characters); 1000 claims take ~95K, so
// the claims JSON is cut into properties claims0, claims1, ... (the entity may hold 1 MiB).
const CHUNK_CHARS = 30_000;

export type ClaimResult =
  | { outcome: 'claimed' } // slot taken now: go start the agent
  | { outcome: 'alreadyClaimed' } // an earlier or concurrent delivery holds it: start() is idempotent, the caller may call it again
  | { outcome: 'full'; inUse: number }; // at maxAgents: delay the demand

export interface CapacityLedger {
  claim(profileKey: string, requestId: number, agentName: string, maxAgents: number): Promise<ClaimResult>;
  /** Idempotent. */
  release(profileKey: string, requestId: number): Promise<void>;
  /**
   * Drops claims whose agent is gone: `alive(agentName)` false and claimed more than `graceMs` ago.
   * The grace must cover the time from a claim until its agent shows in the list `alive` was
   * built from, or a claim made after the listing would be dropped. Returns the released ids.
   */
  prune(profileKey: string, isDead: (claim: { readonly agentName: string; readonly claimedAt: number }) => boolean): Promise<number[]>;
  claims(profileKey: string): Promise<Array<{ requestId: number; agentName: string; claimedAt: Date }>>;
}

/** requestId → [agentName, claimedAt epoch ms]; tuples keep the entity small, it travels on every change. */
type Claims = Map<number, readonly [string, number]>;
interface Snapshot {
  readonly claims: Claims;
  /** undefined: no entity yet, the first claim creates it. */
  readonly etag: string | undefined;
}
interface Pending {
  decide(claims: Claims): { result: unknown; changed: boolean };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Each profile's claims live in one table entity, changed only by read → modify → write with
 * If-Match on the read's ETag, so concurrent consumers on any number of instances serialize
 * on the entity: a writer that lost the race (412, or 409 when two create it) re-reads and
 * decides again. That keeps maxAgents true (DESIGN.md invariant 4) and lets exactly one
 * consumer see 'claimed' for a request (invariant 1). Build one ledger per process and share
 * it: its consumers' changes to a profile are then committed together (see `queues`).
 */
export function createCapacityLedger(deps: { client: TableClient; now?: () => number; maxAttempts?: number }): CapacityLedger {
  const { client } = deps;
  const now = deps.now ?? Date.now;
  const maxAttempts = deps.maxAttempts ?? 20;

  const read = async (rowKey: string): Promise<Snapshot> => {
    try {
      const entity = await client.getEntity<Record<string, unknown>>(PARTITION, rowKey);
      return { claims: decode(entity, rowKey), etag: entity.etag };
    } catch (error) {
      const code = errorCode(error);
      if (code === 'TableNotFound') await client.createTable().catch((e: unknown) => Promise.reject(storageError(client, 'create', e)));
      if (code === 'TableNotFound' || code === 'ResourceNotFound') return { claims: new Map(), etag: undefined };
      throw storageError(client, 'read', error);
    }
  };

  /** false when another writer got there first. */
  const write = async (profileKey: string, rowKey: string, snapshot: Snapshot): Promise<boolean> => {
    const entity = encode(profileKey, rowKey, snapshot.claims);
    try {
      if (snapshot.etag === undefined) await client.createEntity(entity);
      else await client.updateEntity(entity, 'Replace', { etag: snapshot.etag });
      return true;
    } catch (error) {
      // A lost response retried by the SDK also ends here (our own write changed the ETag);
      // the re-read then finds our change and answers as for a duplicate.
      if ([409, 412, 404].includes(statusOf(error) ?? 0)) return false;
      throw storageError(client, 'update', error);
    }
  };

  // Operations on one profile from this process's consumers (up to 16 per instance) share a
  // round: one read, one write for all of them, so they never race each other and only
  // instances contend for the entity.
  const queues = new Map<string, Pending[]>();

  /** Applies `decide` to the latest claims until a write sticks; `changed` false means nothing to write. */
  const change = <T>(profileKey: string, decide: (claims: Claims) => { result: T; changed: boolean }) =>
    new Promise<T>((resolve, reject) => {
      const op: Pending = { decide, resolve: (value) => resolve(value as T), reject };
      const waiting = queues.get(profileKey);
      if (waiting) return void waiting.push(op);
      const queue = [op];
      queues.set(profileKey, queue);
      // A microtask later, so the calls made in the same tick join the first round.
      queueMicrotask(() => void commitRounds(profileKey, rowKeyOf(profileKey), queue));
    });

  const commitRounds = async (profileKey: string, rowKey: string, waiting: Pending[]) => {
    let batch: Pending[] = [];
    for (let attempt = 1; waiting.length > 0 || batch.length > 0; attempt++) {
      batch.push(...waiting.splice(0));
      try {
        const snapshot = await read(rowKey);
        const results = batch.map((op) => op.decide(snapshot.claims)); // in order: a later duplicate sees the earlier claim
        if (!results.some((r) => r.changed) || (await write(profileKey, rowKey, snapshot))) {
          batch.forEach((op, i) => op.resolve(results[i]?.result));
          [batch, attempt] = [[], 0];
          continue;
        }
        if (attempt >= maxAttempts) {
          throw new ScalerError('transient', `Capacity of profile "${profileKey}" is contended: ${attempt} updates in a row lost to other consumers; retry later.`);
        }
      } catch (error) {
        batch.forEach((op) => op.reject(error));
        [batch, attempt] = [[], 0];
        continue;
      }
      // Full jitter spreads the losing instances out so the next round has fewer of them.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1_000, 10 * 2 ** attempt)));
    }
    queues.delete(profileKey); // no await since the loop's last check: nothing can have joined
  };

  return {
    claim: (profileKey, requestId, agentName, maxAgents) =>
      change<ClaimResult>(profileKey, (claims) => {
        if (claims.has(requestId)) return { result: { outcome: 'alreadyClaimed' }, changed: false };
        if (claims.size >= maxAgents) return { result: { outcome: 'full', inUse: claims.size }, changed: false };
        claims.set(requestId, [agentName, now()]);
        return { result: { outcome: 'claimed' }, changed: true };
      }),
    release: (profileKey, requestId) =>
      change(profileKey, (claims) => ({ result: undefined, changed: claims.delete(requestId) })),
    prune: (profileKey, isDead) =>
      change(profileKey, (claims) => {
        const dead = [...claims].filter(([, [agentName, claimedAt]]) => isDead({ agentName, claimedAt })).map(([id]) => id);
        dead.forEach((id) => claims.delete(id));
        return { result: dead.sort((a, b) => a - b), changed: dead.length > 0 };
      }),
    async claims(profileKey) {
      const { claims } = await read(rowKeyOf(profileKey));
      return [...claims]
        .sort(([a], [b]) => a - b)
        .map(([requestId, [agentName, at]]) => ({ requestId, agentName, claimedAt: new Date(at) }));
    },
  };
}

// A key with characters RowKeys forbid ('/', '\\', '#', '?', controls) or of any length still
// works: it is hashed, and kept readable in the entity's profileKey property.
function rowKeyOf(profileKey: string): string {
  return /^[\w.-]{1,200}$/.test(profileKey) ? profileKey : `h-${createHash('sha256').update(profileKey).digest('hex').slice(0, 40)}`;
}

function encode(profileKey: string, rowKey: string, claims: Claims): TableEntity<Record<string, unknown>> {
  const json = JSON.stringify(Object.fromEntries(claims));
  const entity: TableEntity<Record<string, unknown>> = { partitionKey: PARTITION, rowKey, profileKey, inUse: claims.size };
  for (let i = 0; i * CHUNK_CHARS < json.length; i++) entity[`claims${i}`] = json.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  return entity;
}

function decode(entity: Record<string, unknown>, rowKey: string): Claims {
  let json = '';
  for (let i = 0; typeof entity[`claims${i}`] === 'string'; i++) json += entity[`claims${i}`] as string;
  try {
    const parsed = JSON.parse(json || '{}') as Record<string, [string, number]>;
    return new Map(Object.entries(parsed).map(([id, claim]) => [Number(id), claim]));
  } catch {
    throw new ScalerError('permanent', `Capacity entity ${PARTITION}/${rowKey} holds unreadable claims; delete the entity (it is rebuilt as agents are claimed).`);
  }
}

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get?(name: string): string | undefined } };
}

function statusOf(error: unknown): number | undefined {
  return (error as RestErrorLike | undefined)?.statusCode;
}

function errorCode(error: unknown): string | undefined {
  return (error as RestErrorLike | undefined)?.response?.headers?.get?.('x-ms-error-code');
}

/** No `cause`: SDK errors carry the request, with its Authorization header. */
function storageError(client: TableClient, action: string, error: unknown): ScalerError {
  const e = (error ?? {}) as RestErrorLike;
  const url = new URL(client.url); // without the query: a SAS connection string puts its token there
  const where = `table "${client.tableName}" at ${url.origin}${url.pathname.replace(/\/$/, '')}`;
  const said = [e.statusCode && `HTTP ${e.statusCode}`, errorCode(error) ?? e.code ?? e.name].filter(Boolean).join(' ');
  const status = e.statusCode;
  if (status === 401 || status === 403 || e.name === 'CredentialUnavailableError') {
    return new ScalerError('permanent', `Capacity ledger cannot ${action} ${where} (${said}): grant the function app's identity the "Storage Table Data Contributor" role on the storage account, or check the AzureWebJobsStorage connection string.`, status ? { status } : {});
  }
  if (status === undefined || status === 408 || status === 429 || status >= 500) {
    return new ScalerError('transient', `Capacity ledger could not ${action} ${where} (${said || 'network error'}); retry later.`, status ? { status } : {});
  }
  return new ScalerError('permanent', `Capacity ledger: storage refused to ${action} ${where} (${said}).`, { status });
}
