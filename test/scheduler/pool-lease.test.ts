import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableClient } from '../../src/storage/table-client';
import { createPoolLease, FIRST_RETRY_MS, MAX_RETRY_MS, profileBackoffKey, retryDelayMs, type PoolLease } from '../../src/scheduler/pool-lease';
import { startAzuriteEmulator, type AzuriteEmulator } from '../../emulators/azurite/azurite-emulator';

// The real Table SDK against Azurite: each lease below is its own TableClient, as each Functions
// instance has its own.
let azurite: AzuriteEmulator;
let pools = 0;
let offsetMs = 0;
const TTL = 60_000;

beforeAll(async () => {
  azurite = await startAzuriteEmulator();
});
afterAll(async () => {
  await azurite?.close();
});

async function instance(): Promise<PoolLease> {
  const client = await tableClient({ connectionString: azurite.connectionString }, () => Promise.reject(new Error('no credential needed')), 'agentupkeep');
  return createPoolLease(client, () => Date.now() + offsetMs);
}
const newPool = () => `pool-${++pools}`;

describe('pool lease', () => {
  it('lets exactly one of four instances pass at once, and the others mark one more pass', async () => {
    const pool = newPool();
    const leases = await Promise.all([1, 2, 3, 4].map(() => instance()));
    const results = await Promise.all(leases.map((l, i) => l.acquire(pool, `instance-${i}`, TTL)));
    const winners = results.flatMap((r, i) => (r.state === 'acquired' ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.state === 'busy')).toHaveLength(3);
    const holder = winners[0]!;
    // Three signals while it ran cost one more pass, then the lease is free.
    expect(await leases[holder]!.release(pool, `instance-${holder}`, TTL)).toBe('again');
    expect(await leases[holder]!.release(pool, `instance-${holder}`, TTL)).toBe('released');
    expect((await leases[(holder + 1) % 4]!.acquire(pool, 'next', TTL)).state).toBe('acquired');
  });

  it('releases without another pass when no signal came meanwhile, and keeps pools apart', async () => {
    const [a, b] = [newPool(), newPool()];
    const lease = await instance();
    expect(await lease.acquire(a, 'x', TTL)).toEqual({ state: 'acquired', profiles: new Map() });
    expect(await lease.acquire(b, 'y', TTL)).toEqual({ state: 'acquired', profiles: new Map() });
    expect(await lease.release(a, 'x', TTL)).toBe('released');
    expect((await lease.acquire(b, 'z', TTL)).state).toBe('busy');
  });

  it('frees the lease of a holder that died once its time to live is over; the late holder lets go quietly', async () => {
    const pool = newPool();
    const [dead, next] = [await instance(), await instance()];
    expect((await dead.acquire(pool, 'dead', TTL)).state).toBe('acquired');
    const busy = await next.acquire(pool, 'next', TTL);
    expect(busy.state).toBe('busy');
    offsetMs = TTL + 1;
    try {
      expect((await next.acquire(pool, 'next', TTL)).state).toBe('acquired');
      expect(await dead.release(pool, 'dead', TTL)).toBe('released');
      expect((await instance().then((l) => l.acquire(pool, 'third', TTL))).state).toBe('busy');
    } finally {
      offsetMs = 0;
    }
  });

  it('hands over when the holder has passed often enough: the lease is free and the caller learns that signals are pending', async () => {
    const pool = newPool();
    const [holder, other] = [await instance(), await instance()];
    expect((await holder.acquire(pool, 'h', TTL)).state).toBe('acquired');
    expect((await other.acquire(pool, 'o', TTL)).state).toBe('busy');
    expect(await holder.release(pool, 'h', TTL, { failed: false }, true)).toBe('pending');
    expect((await other.acquire(pool, 'o', TTL)).state).toBe('acquired');
    expect(await other.release(pool, 'o', TTL, { failed: false }, true)).toBe('released');
  });

  it('defers signals after a failed pass for a delay that doubles, or for Retry-After, and forgets it after a pass that worked', async () => {
    const pool = newPool();
    const lease = await instance();
    const failOnce = async (retryAfterMs?: number) => {
      expect((await lease.acquire(pool, 'h', TTL)).state).toBe('acquired');
      await lease.release(pool, 'h', TTL, { failed: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
      return (await lease.notBefore(pool)) - (Date.now() + offsetMs);
    };
    try {
      const first = await failOnce();
      expect(first).toBeGreaterThan(FIRST_RETRY_MS - 1_000);
      expect(first).toBeLessThanOrEqual(FIRST_RETRY_MS);
      // A signal meanwhile starts no pass; it learns until when.
      const deferred = await lease.acquire(pool, 'x', TTL);
      expect(deferred.state).toBe('deferred');
      offsetMs += first + 1;
      expect(await failOnce()).toBeGreaterThan(2 * FIRST_RETRY_MS - 1_000);
      offsetMs += 2 * FIRST_RETRY_MS + 1;
      expect(await failOnce(60_000)).toBeGreaterThan(59_000);
      offsetMs += 60_001;
      expect((await lease.acquire(pool, 'h', TTL)).state).toBe('acquired');
      expect(await lease.release(pool, 'h', TTL, { failed: false })).toBe('released');
      expect(await lease.notBefore(pool)).toBe(0);
    } finally {
      offsetMs = 0;
    }
  });

  it('tells any instance why and until when the pool backs off, and which profile failed to start, until a pass works', async () => {
    const pool = newPool();
    const [holder, reader] = [await instance(), await instance()];
    expect(await reader.backoffs(pool)).toEqual({ profiles: new Map() });
    expect((await holder.acquire(pool, 'h', TTL)).state).toBe('acquired');
    const reason = 'Profile "spot-only" waits for Spot in westeurope (spot: "required"; no Spot capacity for this size: …)';
    const spotOnly = profileBackoffKey('linux', 'spot-only');
    // One profile's failed start backs off that profile, not the pool: its other profiles keep starting.
    await holder.release(pool, 'h', TTL, { failed: false, startFailures: [{ profile: spotOnly, retryAfterMs: 60_000, reason }] });
    expect(await reader.notBefore(pool)).toBe(0);
    const backoffs = await reader.backoffs(pool);
    expect(backoffs.pool).toBeUndefined();
    expect(backoffs.profiles.get(spotOnly)).toEqual({ until: expect.any(Number) as unknown, reason });
    const acquired = await holder.acquire(pool, 'h', TTL);
    expect(acquired.state === 'acquired' && acquired.profiles.get(spotOnly)).toBe(backoffs.profiles.get(spotOnly)!.until);
    await holder.release(pool, 'h', TTL, { failed: false });
    try {
      offsetMs = 60_001;
      expect((await reader.backoffs(pool)).profiles.size).toBe(0); // over
      expect((await holder.acquire(pool, 'h', TTL)).state).toBe('acquired');
      // Failing again doubles its delay, counted from its earlier failures.
      const before = Date.now() + offsetMs;
      await holder.release(pool, 'h', TTL, { failed: false, startFailures: [{ profile: spotOnly, reason }] });
      const until = (await reader.backoffs(pool)).profiles.get(spotOnly)!.until;
      expect(until).toBeGreaterThanOrEqual(before + retryDelayMs(2));
      expect(until).toBeLessThanOrEqual(Date.now() + offsetMs + retryDelayMs(2));
      expect((await holder.acquire(pool, 'h', TTL)).state).toBe('acquired');
      await holder.release(pool, 'h', TTL, { failed: true, reason: 'Azure DevOps failed' });
      expect((await reader.backoffs(pool)).pool).toEqual({ until: await reader.notBefore(pool), reason: 'Azure DevOps failed' });
      offsetMs += MAX_RETRY_MS;
      expect((await holder.acquire(pool, 'h', TTL)).state).toBe('acquired');
      await holder.release(pool, 'h', TTL, { failed: false, started: [spotOnly] });
      expect(await reader.backoffs(pool)).toEqual({ profiles: new Map() });
    } finally {
      offsetMs = 0;
    }
  });

  it("keeps each pool's job-wait cursor for the next holder on any instance, through failed passes, and never moves it back", async () => {
    const pool = newPool();
    const [first, next] = [await instance(), await instance()];
    expect(await first.acquire(pool, 'a', TTL)).toEqual({ state: 'acquired', profiles: new Map() });
    await first.release(pool, 'a', TTL, { failed: false, waitCursors: { linux: 1_000, windows: 500 } });
    const acquired = await next.acquire(pool, 'b', TTL);
    expect(acquired.state === 'acquired' && acquired.waitCursors).toEqual(
      new Map([
        ['linux', 1_000],
        ['windows', 500],
      ]),
    );
    // A pass that failed after logging some waits keeps its cursor too; an older cursor changes nothing.
    await next.release(pool, 'b', TTL, { failed: true, reason: 'ADO 503', waitCursors: { linux: 2_000, windows: 400 } });
    try {
      offsetMs = MAX_RETRY_MS;
      const again = await first.acquire(pool, 'c', TTL);
      expect(again.state === 'acquired' && again.waitCursors).toEqual(
        new Map([
          ['linux', 2_000],
          ['windows', 500],
        ]),
      );
      // An outcome without cursors leaves them as they are.
      await first.release(pool, 'c', TTL, { failed: false });
      const last = await next.acquire(pool, 'd', TTL);
      expect(last.state === 'acquired' && last.waitCursors?.get('linux')).toBe(2_000);
    } finally {
      offsetMs = 0;
    }
  });

  it('caps the growing delay', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(n))).toEqual([FIRST_RETRY_MS, 2 * FIRST_RETRY_MS, 4 * FIRST_RETRY_MS]);
    expect(retryDelayMs(30)).toBe(MAX_RETRY_MS);
    expect(retryDelayMs(1, 20 * 60_000)).toBe(20 * 60_000);
  });

  it('lets a holder renew only while it holds the lease', async () => {
    const pool = newPool();
    const [a, b] = [await instance(), await instance()];
    expect((await a.acquire(pool, 'a', TTL)).state).toBe('acquired');
    expect(await a.renew(pool, 'a', TTL)).toBe(true);
    offsetMs = TTL + 1;
    try {
      expect((await b.acquire(pool, 'b', TTL)).state).toBe('acquired');
      expect(await a.renew(pool, 'a', TTL)).toBe(false);
    } finally {
      offsetMs = 0;
    }
  });
});
