import { afterAll, beforeAll, expect, it } from 'vitest';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { dependencies } from '../../src/runtime/dependencies';
import { configWithPools, eventually, startScaler, type Scaler } from './scaler-harness';

// Its own file: MSAL fixes the managed identity endpoint once per process.
const ADO_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';
let scaler: Scaler;

beforeAll(async () => {
  scaler = await startScaler({
    config: configWithPools(['linux'], { kind: 'managedIdentity' }),
    subscribe: false, // only the sweep finds the job
    latencies: { jobDuration: 100 },
    load: async () => {
      await import('../../functions/reconcile.js');
      await import('../../functions/scheduler.js');
    },
  });
});

afterAll(async () => {
  await scaler?.close();
});

const adoTokens = () => scaler.stack.identity.issued().filter((t) => t.resource.startsWith(ADO_RESOURCE));
const queue = () => scaler.stack.serviceBus.queue(SIGNAL_QUEUE);
/** The scaler's own calls, not the simulated agents'. */
const scalerCalls = () => scaler.stack.ado.requests().filter((r) => !r.userAgent?.startsWith('VstsAgentCore'));

/** One sweep whose pass has run: it waits for the next signal window first, so the sweep's signal is not a duplicate of the last one. */
async function sweepAndPass(): Promise<void> {
  const last = scaler
    .signals()
    .filter((s) => s.reason === 'timer')
    .at(-1);
  if (last) await eventually(() => Date.now() >= last.dueAt, 5_000, 'the next signal window');
  const passes = dependencies().counters.get('passes');
  await scaler.sweep();
  await eventually(
    () => dependencies().counters.get('passes') > passes && queue().active().length + queue().locked().length === 0,
    20_000,
    'the pass of the sweep',
  );
}

it('serves a job the sweep found, authenticating to ADO with one Entra token from the managed identity and never reading Key Vault', async () => {
  const { ado, arm } = scaler.stack;
  expect(adoTokens()).toEqual([]);
  const job = ado.queueJob({ pool: 'linux' });
  await scaler.sweep();

  const served = await eventually(() => ado.jobs().find((j) => j.requestId === job.requestId && j.state === 'finished'), 30_000, 'the job to be served');
  expect(served.result).toBe('succeeded');
  expect(arm.groups().map((g) => g.name)).toContain(served.agentName);
  // The agent was handed the same token the scaler calls ADO with, not a PAT.
  const [token] = adoTokens();
  expect(adoTokens()).toHaveLength(1);
  expect(arm.requests().some((r) => r.method === 'PUT' && r.body.includes(token!.token))).toBe(true);
  expect(scaler.stack.keyVault.requests()).toEqual([]);
  // Not one of the scaler's ADO calls was refused: the token was good from the first.
  expect(scalerCalls().filter((r) => r.status === 401)).toEqual([]);
  expect(scaler.logs.filter((l) => l.level === 'warning' || l.level === 'error')).toEqual([]);
});

it('reuses the token on later sweeps instead of asking for a new one each time', async () => {
  const listings = () => scalerCalls().filter((r) => r.path.includes('/jobrequests') && r.status === 200).length;
  const before = listings();
  await sweepAndPass();
  await sweepAndPass();
  expect(listings()).toBeGreaterThanOrEqual(before + 2);
  expect(adoTokens()).toHaveLength(1);
  expect(scaler.stack.keyVault.requests()).toEqual([]);
  expect(scalerCalls().filter((r) => r.status === 401)).toEqual([]);
});
