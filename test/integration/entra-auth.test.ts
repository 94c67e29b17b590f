import { afterAll, beforeAll, expect, it } from 'vitest';
import { configWithPools, startScaler, type Scaler } from './scaler-harness';

// Its own file: MSAL fixes the managed identity endpoint once per process.
let scaler: Scaler;

beforeAll(async () => {
  scaler = await startScaler({
    config: configWithPools(['linux'], { kind: 'managedIdentity' }),
    subscribe: false,
    load: () => import('../../functions/reconcile.js'),
  });
});

afterAll(() => scaler?.close());

it('authenticates to ADO with a Microsoft Entra token from the managed identity', async () => {
  const job = scaler.stack.ado.queueJob({ pool: 'linux' });
  await scaler.sweep();
  expect((await scaler.consumeDemands()).map((d) => d.jobId)).toEqual([job.jobId]);
  const adoTokens = scaler.stack.identity.issued().filter((t) => t.resource.startsWith('499b84ac-1321-427f-aa17-267ca6975798'));
  expect(adoTokens).toHaveLength(1);
  expect(scaler.stack.keyVault.requests()).toEqual([]);
});

it('reuses the token on later sweeps instead of asking for a new one each time', async () => {
  await scaler.sweep();
  await scaler.sweep();
  expect(scaler.stack.identity.issued().filter((t) => t.resource.startsWith('499b84ac'))).toHaveLength(1);
});
