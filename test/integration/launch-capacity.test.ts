import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';

let scaler: Scaler;

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig({ dotnetMax: 5, reconcileSeconds: 10 }),
    lockDurationMs: 600_000,
    latencies: { jobDuration: 200 },
    load: async () => {
      await import('../../functions/launch.js');
      await import('../../functions/reconcile.js');
      await import('../../functions/status.js');
    },
    subscribe: false,
  });
  // Four consumers in all, as four Functions instances would be, each running several at once.
  scaler.addConsumers(3, 4);
});

afterAll(() => scaler?.close());

it('never runs more than maxAgents agents of a profile, with four consumers at once, and finishes every job', { timeout: 120_000 }, async () => {
  const { ado, arm } = scaler.stack;
  const jobs = Array.from({ length: 30 }, () => ado.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] }));
  await scaler.sweep();

  let most = 0;
  let samples = 0;
  const alive = () => arm.groups().filter((g) => g.body.tags?.['ado-profile'] === 'dotnet-8' && g.container.state !== 'Terminated').length;
  const done = () => jobs.every((j) => ado.jobs().find((v) => v.requestId === j.requestId)?.state === 'finished');
  let lastSweep = Date.now();
  await eventually(
    async () => {
      most = Math.max(most, alive());
      samples++;
      if (done()) return true;
      // Delayed demands wait in Service Bus; move its clock to the next one instead of sleeping.
      const queue = scaler.stack.serviceBus.queue(DEMAND_QUEUE);
      if (queue.active().length + queue.locked().length === 0 && alive() === 0) scaler.skipToNextRetry();
      // The reconcile timer, every 10 s as configured, as it runs in Azure.
      if (Math.floor(Date.now() / 10_000) !== Math.floor(lastSweep / 10_000)) {
        lastSweep = Date.now();
        await scaler.sweep();
      }
      return false;
    },
    90_000,
    'all 30 jobs to finish',
  ).catch((e: unknown) => {
    const counts = new Map<string, number>();
    for (const l of scaler.logs) {
      const key = `${l.level} ${l.message.replace(/[0-9a-f-]{36}|\d+/g, 'N').slice(0, 140)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    console.log([...counts].sort((a, b) => b[1] - a[1]).slice(0, 25));
    console.log(ado.jobs().filter((j) => j.pool === 'dotnet').map((j) => j.state).join(','));
    const q = scaler.stack.serviceBus.queue(DEMAND_QUEUE);
    console.log({ active: q.active().length, locked: q.locked().length, scheduled: q.scheduled().map((m) => m.scheduledEnqueueTimeUtc), dead: q.deadLettered().length, alive: alive(), now: new Date() });
    console.log(arm.groups().filter((g) => g.container.state !== 'Terminated').map((g) => [g.name, g.container.state, g.provisioningState]));
    throw e;
  });

  const creates = arm.requests().filter((r) => r.method === 'PUT' && r.status === 201).length;
  console.log(`capacity: max ${most} of 5 agents alive across ${samples} samples; ${creates} container groups created for 30 jobs, ${arm.requests().length} ARM requests`);
  expect(most).toBeLessThanOrEqual(5);
  expect(most).toBe(5); // the limit was reached, so it was the ledger that held it
  expect(ado.jobs().filter((j) => j.pool === 'dotnet').every((j) => j.result === 'succeeded')).toBe(true);
  expect(arm.groups().every((g) => g.restarts === 0)).toBe(true);
  expect((await scaler.status()).counters.delayedForCapacity).toBeGreaterThan(0);
  expect(scaler.stack.serviceBus.queue(DEMAND_QUEUE).deadLettered()).toEqual([]);
});
