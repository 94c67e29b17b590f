import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { armPatExposures } from '../emulators/arm/pat-exposures';
import { EMULATOR_PAT } from '../emulators/emulator-stack';
import { patExposures as kubernetesPatExposures } from '../emulators/kubernetes/pat-exposures';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';

const ROTATED = 'rotated-pat-0c9d7e';
let scaler: Scaler;

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig({ reconcileSeconds: 10 }),
    lockDurationMs: 600_000,
    latencies: { jobDuration: 100 },
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/launch.js');
      await import('../../functions/reconcile.js');
      await import('../../functions/status.js');
    },
  });
});

afterAll(() => scaler?.close());

it('keeps serving jobs through a PAT rotation with the old PAT revoked, without a restart or a failed job', { timeout: 120_000 }, async () => {
  const { ado, keyVault } = scaler.stack;
  const demands = [['Agent.OS -equals Linux', 'size -equals small'], ['docker'], ['dotnet -equals 8.0']];
  const pools = ['linux', 'linux', 'dotnet'];
  const jobs: number[] = [];
  for (let i = 0; i < 24; i++) {
    if (i === 12) {
      // Rotate as an operator would: new version in Key Vault, then revoke the old PAT in ADO.
      keyVault.setSecret('ado-pat', ROTATED);
      ado.addToken(ROTATED);
      ado.revokeToken(EMULATOR_PAT);
    }
    jobs.push(ado.queueJob({ pool: pools[i % 3]!, demands: demands[i % 3]! }).requestId);
    await new Promise((r) => setTimeout(r, 50)); // jobs keep arriving during the rotation
  }

  // Production's reconcile timer (10 s here) picks up jobs whose agent got the old PAT and exited.
  let lastSweep = Date.now();
  await eventually(
    async () => {
      const views = jobs.map((id) => ado.jobs().find((j) => j.requestId === id));
      if (views.every((v) => v?.state === 'finished')) return true;
      const q = scaler.stack.serviceBus.queue(DEMAND_QUEUE);
      if (q.active().length + q.locked().length === 0) scaler.skipToNextRetry();
      if (Math.floor(Date.now() / 10_000) !== Math.floor(lastSweep / 10_000)) {
        lastSweep = Date.now();
        await scaler.sweep();
      }
      return false;
    },
    100_000,
    'every job to finish',
  );

  const results = jobs.map((id) => ado.jobs().find((j) => j.requestId === id)?.result);
  expect(results.every((r) => r === 'succeeded')).toBe(true);
  const status = await scaler.status();
  console.log(`rotation: 24 jobs, all succeeded; agents replaced after the rotation: ${status.counters.agentsReplaced}; launches ${status.counters.launches}`);
  expect(scaler.stack.serviceBus.queue(DEMAND_QUEUE).deadLettered()).toEqual([]);
});

it('never lets a PAT into ARM or Kubernetes requests outside their secure fields, nor into any log line', () => {
  for (const pat of [EMULATOR_PAT, ROTATED]) {
    expect(armPatExposures(scaler.stack.arm.requests(), pat)).toEqual([]);
    expect(kubernetesPatExposures(scaler.stack.kubernetes.requests(), pat)).toEqual([]);
    expect(scaler.logs.filter((l) => l.message.includes(pat))).toEqual([]);
  }
  // The secure channels did carry it: the agents could not have registered otherwise.
  expect(scaler.stack.arm.requests().some((r) => r.method === 'PUT' && r.body.includes(ROTATED))).toBe(true);
});
