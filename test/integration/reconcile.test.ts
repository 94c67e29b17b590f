import { getPersonalAccessTokenHandler, WebApi } from 'azure-devops-node-api';
import { TaskAgentStatus } from 'azure-devops-node-api/interfaces/TaskAgentInterfaces';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_PAT } from '../emulators/emulator-stack';
import { configWithPools, startScaler, type Scaler } from './scaler-harness';

let scaler: Scaler;

beforeAll(async () => {
  // "ghost" is configured but does not exist in the organization.
  scaler = await startScaler({
    config: configWithPools(['linux', 'windows', 'gpu', 'ghost']),
    omitPools: ['ghost'],
    subscribe: false, // every webhook is lost: only the sweep can find jobs
    load: async () => {
      await import('../../functions/reconcile.js');
      await import('../../functions/status.js');
    },
  });
});

afterAll(() => scaler?.close());

// A sweep in a new reconcile period demands every job still waiting again (the messageId carries
// the period), so each test leaves no waiting job and no demand behind for the next one.
afterEach(async () => {
  for (const job of scaler.stack.ado.jobs().filter((j) => j.state === 'waiting')) scaler.stack.ado.cancelJob(job.requestId);
  await scaler.consumeDemands();
});

async function registerAgent(pool: string, name: string): Promise<void> {
  const api = await new WebApi(scaler.stack.ado.orgUrl('contoso'), getPersonalAccessTokenHandler(EMULATOR_PAT)).getTaskAgentApi();
  await api.addAgent({ name, version: '4.255.0', status: TaskAgentStatus.Online, enabled: true }, scaler.stack.ado.poolId('contoso', pool));
}

const listings = () =>
  scaler.stack.ado.requests().filter((r) => r.method === 'GET' && r.path.toLowerCase().includes('/jobrequests') && !r.injected);

describe('reconcile', () => {
  it('enqueues exactly the waiting requests of every pool, with one bounded listing per pool', async () => {
    const { ado } = scaler.stack;
    const waiting = ['linux', 'linux', 'windows', 'gpu'].map((pool) => ado.queueJob({ pool, demands: ['docker'] }));
    const running = ['linux', 'windows'].map((pool, i) => {
      const job = ado.queueJob({ pool });
      return { pool, job, agent: `agent-${pool}-${i}` };
    });
    for (const r of running) await registerAgent(r.pool, r.agent);
    for (const r of running) ado.assignJob(r.job.requestId, r.agent);
    const finished = ado.queueJob({ pool: 'gpu' });
    ado.cancelJob(finished.requestId);
    const listingsBefore = listings().length;

    await scaler.sweep();

    const demands = await scaler.consumeDemands();
    expect(demands.map((d) => d.jobId).sort()).toEqual(waiting.map((j) => j.jobId).sort());
    for (const d of demands) {
      const job = ado.jobs().find((j) => j.jobId === d.jobId)!;
      expect(d).toMatchObject({ source: 'sweep', poolName: job.pool, requestId: job.requestId });
    }
    const sweepListings = listings().slice(listingsBefore);
    expect(sweepListings.map((l) => l.poolId).sort()).toEqual(['linux', 'windows', 'gpu'].map((p) => ado.poolId('contoso', p)).sort());
    expect(sweepListings.every((l) => l.query.completedRequestCount === '0' && !l.unbounded)).toBe(true);
  });

  it('picks up a job whose webhook was lost on the next sweep', async () => {
    const lost = scaler.stack.ado.queueJob({ pool: 'windows' });
    expect(scaler.queuedDemands()).toEqual([]);
    await scaler.sweep();
    expect((await scaler.consumeDemands()).map((d) => d.jobId)).toEqual([lost.jobId]);
  });

  it('reports a pool name that does not exist by name, and keeps sweeping the others', async () => {
    const job = scaler.stack.ado.queueJob({ pool: 'gpu' });
    await scaler.sweep();
    expect((await scaler.consumeDemands()).map((d) => d.jobId)).toEqual([job.jobId]);
    const ghostError = scaler.logs.find((l) => l.functionName === 'reconcile' && l.level === 'error' && l.message.includes('"ghost"'));
    expect(ghostError?.message).toMatch(/Agent pool "ghost" was not found in .*contoso.*Agent pools/);
    const status = await scaler.status();
    expect(status.pools.find((p) => p.pool === 'ghost')?.error).toMatch(/"ghost" was not found/);
    expect(status.counters.sweepFailures).toBeGreaterThan(0);
  });

  it('honours Retry-After when ADO answers 429, then enqueues', async () => {
    const job = scaler.stack.ado.queueJob({ pool: 'linux' });
    const linuxId = scaler.stack.ado.poolId('contoso', 'linux');
    scaler.stack.ado.injectFaults({ status: 429, retryAfterSeconds: 1, count: 1, pathContains: `/pools/${linuxId}/jobrequests` });
    const start = scaler.stack.ado.requests().length;

    await scaler.sweep();

    const linux = scaler.stack.ado.requests().slice(start).filter((r) => r.poolId === linuxId && r.path.includes('jobrequests'));
    expect(linux.map((r) => r.status)).toEqual([429, 200]);
    const waitedMs = Date.parse(linux[1]!.time) - Date.parse(linux[0]!.time);
    expect(waitedMs).toBeGreaterThanOrEqual(1000);
    expect((await scaler.consumeDemands()).map((d) => d.jobId)).toEqual([job.jobId]);
  });

  it('gives up on a pool as throttled when Retry-After exceeds the budget, without hot-looping', async () => {
    const linuxId = scaler.stack.ado.poolId('contoso', 'linux');
    scaler.stack.ado.injectFaults({ status: 429, retryAfterSeconds: 3600, count: 1, pathContains: `/pools/${linuxId}/jobrequests` });
    const start = scaler.stack.ado.requests().length;
    await scaler.sweep();
    const linux = scaler.stack.ado.requests().slice(start).filter((r) => r.poolId === linuxId && r.path.includes('jobrequests'));
    expect(linux.map((r) => r.status)).toEqual([429]);
    const linuxLog = scaler.logs.filter((l) => l.level === 'error' && l.message.includes('"linux"')).at(-1);
    expect(linuxLog?.message).toMatch(/throttled.*retry after 3600 s/);
  });

  it('reads the rotated PAT from Key Vault after a 401, without a restart', async () => {
    const { ado, keyVault } = scaler.stack;
    keyVault.setSecret('ado-pat', 'rotated-pat');
    ado.addToken('rotated-pat');
    ado.revokeToken(EMULATOR_PAT);
    const job = ado.queueJob({ pool: 'windows' });
    const start = ado.requests().length;

    await scaler.sweep();

    expect((await scaler.consumeDemands()).map((d) => d.jobId)).toEqual([job.jobId]);
    expect(ado.requests().slice(start).some((r) => r.status === 401)).toBe(true);
    expect(scaler.logs.map((l) => l.message).join('\n')).not.toContain('rotated-pat');
  });

  it('lists each pool\'s waiting requests in /api/status', async () => {
    const job = scaler.stack.ado.queueJob({ pool: 'gpu', demands: ['Agent.OS -equals Linux'] });
    const status = await scaler.status();
    const gpu = status.pools.find((p) => p.pool === 'gpu');
    const waiting = scaler.stack.ado.jobs().filter((j) => j.pool === 'gpu' && j.state === 'waiting');
    expect(gpu?.waiting).toBe(waiting.length);
    expect(gpu?.waitingRequests.map((r) => r.requestId)).toEqual(waiting.map((j) => j.requestId));
    expect(gpu?.waitingRequests.at(-1)).toEqual({ requestId: job.requestId, jobId: job.jobId, queueTime: expect.any(String) as unknown, demands: ['Agent.OS -equals Linux'] });
    expect(status.emulators).toMatchObject({ ado: scaler.stack.ado.url });
  });
});
