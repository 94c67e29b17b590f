import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capacityTable } from '../../src/launch/capacity-table';
import { createPoolLease, type PoolLease } from '../../src/scheduler/pool-lease';
import { startAzurite, type Azurite } from '../emulators/azurite/start-azurite';

// The real Table SDK against Azurite: each lease below is its own TableClient, as each Functions
// instance has its own.
let azurite: Azurite;
let pools = 0;
let offsetMs = 0;
const TTL = 60_000;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.close();
});

async function instance(): Promise<PoolLease> {
  const client = await capacityTable({ connectionString: azurite.connectionString }, () => Promise.reject(new Error('no credential needed')), 'agentupkeep');
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
    expect(await lease.acquire(a, 'x', TTL)).toEqual({ state: 'acquired' });
    expect(await lease.acquire(b, 'y', TTL)).toEqual({ state: 'acquired' });
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
});
