import { createServer } from 'node:net';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../emulators/azurite/start-azurite';
import { ScalerError } from '../../src/errors/scaler-error';
import { agentName } from '../../src/launchers/agent-name';
import { createCapacityLedger, type CapacityLedger, type ClaimResult } from '../../src/launch/capacity-ledger';
import { capacityTable } from '../../src/launch/capacity-table';

const ORG = 'https://dev.azure.com/contoso';
let azurite: Azurite;
let profileCount = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

/** A fresh profile per test, so tests share one Azurite without seeing each other's claims. */
function newProfile(): string {
  // Odd ones carry characters a RowKey may not hold, as an org URL would.
  return ++profileCount % 2 ? `${ORG}|linux pool|profile-${profileCount}` : `linux-small-${profileCount}`;
}

/** The production construction (AzureWebJobsStorage as a connection string), pointed at Azurite. */
function tableClient(connectionString = azurite.connectionString): Promise<TableClient> {
  return capacityTable({ connectionString }, () => Promise.reject(new Error('a connection string needs no credential')));
}

type Gate = Parameters<TableClient['pipeline']['addPolicy']>[0];

/** One ledger on its own TableClient (like one Functions instance), counting lost write races. */
async function instance(options: { now?: () => number; maxAttempts?: number; gate?: Gate } = {}) {
  const { gate, ...ledgerOptions } = options;
  const client = await tableClient();
  const stats = { conflicts: 0, requests: 0 };
  if (gate) client.pipeline.addPolicy(gate);
  client.pipeline.addPolicy({
    name: 'count-conflicts',
    async sendRequest(request, next) {
      stats.requests++;
      // core-client's deserialization turns error statuses into a thrown RestError inside the pipeline.
      return next(request).catch((error: unknown) => {
        if ([409, 412].includes((error as { statusCode?: number }).statusCode ?? 0)) stats.conflicts++;
        throw error;
      });
    },
  });
  return { client, stats, ledger: createCapacityLedger({ client, ...ledgerOptions }) };
}

/**
 * Holds every write until `reads` reads have been answered, so that many consumers read the same
 * state before any of them writes: the worst case, made certain instead of left to scheduling.
 */
function readsBeforeWrites(reads: number): Gate {
  let seen = 0;
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    name: 'reads-before-writes',
    async sendRequest(request, next) {
      if (request.method !== 'GET') await opened;
      return next(request).finally(() => {
        if (request.method === 'GET' && ++seen >= reads) open();
      });
    },
  };
}

const outcomes = (results: ClaimResult[]) => results.map((r) => r.outcome);
const count = (results: ClaimResult[], outcome: ClaimResult['outcome']) => results.filter((r) => r.outcome === outcome).length;

describe('capacity ledger', () => {
  let ledger: CapacityLedger;
  beforeAll(async () => {
    ({ ledger } = await instance());
  });

  it('claims up to maxAgents, then answers full with the slots in use', async () => {
    const profile = newProfile();
    const results: ClaimResult[] = [];
    for (const id of [1, 2, 3, 4]) results.push(await ledger.claim(profile, id, agentName(ORG, 'linux', id), 3));
    expect(outcomes(results)).toEqual(['claimed', 'claimed', 'claimed', 'full']);
    expect(results[3]).toEqual({ outcome: 'full', inUse: 3 });
    expect((await ledger.claims(profile)).map((c) => c.requestId)).toEqual([1, 2, 3]);
  });

  it('answers alreadyClaimed for a request it holds, also when the profile is full', async () => {
    const profile = newProfile();
    expect(await ledger.claim(profile, 7, 'agent-7', 1)).toEqual({ outcome: 'claimed' });
    expect(await ledger.claim(profile, 7, 'agent-7', 1)).toEqual({ outcome: 'alreadyClaimed' });
    expect(await ledger.claims(profile)).toHaveLength(1);
  });

  it('frees a slot on release, and releasing twice or an unknown profile is fine', async () => {
    const profile = newProfile();
    await ledger.claim(profile, 1, 'agent-1', 1);
    expect(await ledger.claim(profile, 2, 'agent-2', 1)).toEqual({ outcome: 'full', inUse: 1 });
    await ledger.release(profile, 1);
    await ledger.release(profile, 1);
    await ledger.release(newProfile(), 1);
    expect(await ledger.claim(profile, 2, 'agent-2', 1)).toEqual({ outcome: 'claimed' });
    expect(await ledger.claims(newProfile())).toEqual([]);
  });

  it('prunes the claims the caller judges dead, passing each claim\'s agent and time', async () => {
    let clock = Date.parse('2025-01-01T00:00:00Z');
    const { ledger: timed } = await instance({ now: () => clock });
    const profile = newProfile();
    await timed.claim(profile, 1, 'dead-old', 10);
    await timed.claim(profile, 2, 'alive-old', 10);
    clock += 60_000;
    await timed.claim(profile, 3, 'dead-young', 10);
    clock += 1_000;
    const isDead = (c: { agentName: string; claimedAt: number }) => c.agentName.startsWith('dead') && c.claimedAt < clock - 30_000;
    expect(await timed.prune(profile, isDead)).toEqual([1]);
    expect(await timed.prune(profile, isDead)).toEqual([]);
    expect(await timed.claims(profile)).toEqual([
      { requestId: 2, agentName: 'alive-old', claimedAt: new Date(Date.parse('2025-01-01T00:00:00Z')) },
      { requestId: 3, agentName: 'dead-young', claimedAt: new Date(Date.parse('2025-01-01T00:01:00Z')) },
    ]);
  });

  it('holds 1000 claims with full-length agent names (more than one 64 KiB property)', async () => {
    const profile = newProfile();
    const name = (id: number) => agentName(ORG, 'a-pool-name-long-enough-to-be-cut-short', id);
    // At once: this instance commits them together, in one write of a ~95K-character claims list.
    const ids = Array.from({ length: 1000 }, (_, i) => 2_147_482_647 + i);
    expect(count(await Promise.all(ids.map((id) => ledger.claim(profile, id, name(id), 1000))), 'claimed')).toBe(1000);
    expect(await ledger.claim(profile, 1, name(1), 1000)).toEqual({ outcome: 'full', inUse: 1000 });
    const claims = await ledger.claims(profile);
    expect(claims).toHaveLength(1000);
    expect(claims[999]).toMatchObject({ requestId: 2_147_483_646, agentName: name(2_147_483_646) });
  });
});

describe('capacity ledger under concurrency', () => {
  const instances = (n: number, gate?: Gate) => Promise.all(Array.from({ length: n }, () => instance(gate ? { gate } : {})));

  it('never grants more than maxAgents to many consumers on separate instances, and each request once', async () => {
    const profile = newProfile();
    const fleet = await instances(6, readsBeforeWrites(6)); // each instance reads once for all its consumers
    const requests = Array.from({ length: 30 }, (_, i) => 100 + i);
    // Every request is delivered twice, to different instances (a duplicate webhook plus a sweep).
    const calls = requests.flatMap((id, i) => [i, i + 1].map((k) => ({ id, ledger: fleet[k % fleet.length]!.ledger })));
    const results = await Promise.all(calls.map(({ id, ledger }) => ledger.claim(profile, id, `agent-${id}`, 5).then((r) => ({ id, r }))));

    const claimed = results.filter((x) => x.r.outcome === 'claimed').map((x) => x.id);
    expect(claimed).toHaveLength(5);
    expect(new Set(claimed).size).toBe(5);
    for (const { id, r } of results) {
      if (r.outcome === 'alreadyClaimed') expect(claimed).toContain(id);
      if (r.outcome === 'full') expect(r.inUse).toBeLessThanOrEqual(5);
    }
    expect((await fleet[0]!.ledger.claims(profile)).map((c) => c.requestId).sort()).toEqual([...claimed].sort());
    report('30 requests x2 deliveries, 6 instances, max 5', fleet);

    // Releases from several instances at once, then a new burst fills exactly the freed slots.
    await Promise.all(claimed.map((id, i) => fleet[i % fleet.length]!.ledger.release(profile, id)));
    expect(await fleet[1]!.ledger.claims(profile)).toEqual([]);
    const again = await Promise.all(requests.slice(0, 12).map((id, i) => fleet[i % fleet.length]!.ledger.claim(profile, 1000 + id, `agent-${1000 + id}`, 5)));
    expect(count(again, 'claimed')).toBe(5);
    expect(count(again, 'full')).toBe(7);
    expect(await fleet[2]!.ledger.claims(profile)).toHaveLength(5);
  });

  it('lets exactly one of four instances, two consumers each, claim the same request at once', async () => {
    const profile = newProfile();
    const fleet = await instances(4, readsBeforeWrites(4));
    const results = await Promise.all(fleet.flatMap(({ ledger }) => [1, 2].map(() => ledger.claim(profile, 42, 'agent-42', 5))));
    expect(count(results, 'claimed')).toBe(1);
    expect(count(results, 'alreadyClaimed')).toBe(7);
    expect(await fleet[0]!.ledger.claims(profile)).toHaveLength(1);
    report('1 request, 4 instances x2 consumers', fleet);
  });

  it('gives up with a transient error when every write loses the race', async () => {
    const profile = newProfile();
    const { ledger: rival } = await instance();
    const { client, ledger } = await instance({ maxAttempts: 3 });
    await rival.claim(profile, 1, 'agent-1', 100);
    let sneaked = 1;
    // Before each of our writes, another instance changes the entity: our ETag is always stale.
    client.pipeline.addPolicy({
      name: 'rival-writes-first',
      async sendRequest(request, next) {
        if (request.method === 'PUT') await rival.claim(profile, ++sneaked, `agent-${sneaked}`, 100);
        return next(request);
      },
    });
    const failure = await ledger.claim(profile, 999, 'agent-999', 100).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ScalerError);
    expect(failure).toMatchObject({ kind: 'transient', message: expect.stringContaining('3 updates in a row') as unknown });
    expect(sneaked - 1).toBe(3);
  });
});

describe('capacity ledger storage errors', () => {
  it('is permanent and names the role to grant when storage refuses access', async () => {
    const badKey = azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.alloc(64, 1).toString('base64')}`);
    const ledger = createCapacityLedger({ client: await tableClient(badKey) });
    const failure = await ledger.claim(newProfile(), 1, 'agent-1', 5).catch((e: unknown) => e);
    expect(failure).toMatchObject({ kind: 'permanent', details: { status: 403 } });
    expect((failure as Error).message).toContain('"Storage Table Data Contributor"');
    expect((failure as Error).message).toContain(`table "agentcapacity" at ${azurite.tableUrl}`);
    expect((failure as Error).message).not.toContain(badKey.match(/AccountKey=([^;]+)/)![1]);
  });

  it('is transient when storage is unreachable', async () => {
    const port = await closedPort();
    const client = TableClient.fromConnectionString(azurite.connectionString.replace(`:${azurite.port}/`, `:${port}/`), 'agentcapacity', {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 }, // the SDK's own retries would only make this test slow
    });
    const failure = await createCapacityLedger({ client }).claims(newProfile()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ kind: 'transient', message: expect.stringContaining('retry later') as unknown });
  });
});

function report(scenario: string, fleet: Array<{ stats: { conflicts: number; requests: number } }>): void {
  const conflicts = fleet.reduce((n, f) => n + f.stats.conflicts, 0);
  const requests = fleet.reduce((n, f) => n + f.stats.requests, 0);
  console.log(`capacity ledger, ${scenario}: ${requests} storage requests, ${conflicts} lost write races (409/412)`);
}

/** A port nothing listens on: bound once to learn a free one, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
