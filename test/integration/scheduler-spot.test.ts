import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/launchers/launcher';
import { eventually, startScaler, type Scaler } from './scaler-harness';

// The Spot policy end to end, through the unchanged function files: ACI accepts a Spot create
// and then fails it for capacity (as it does when it finds no Spot capacity while placing the
// group). "preferred" serves the job on Regular; "required" starts nothing else, backs the
// profile off (not its pool's other profiles) and says why in the log and in /api/status.
let scaler: Scaler;

const aci = { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-spot', location: 'westeurope' };
const pool = (name: string, spot: unknown) => ({
  name,
  profiles: [{ name: `${name}-std`, image: 'contosoacr.azurecr.io/ado-agent:4', launcher: { ...aci, spot } }],
});

beforeAll(async () => {
  scaler = await startScaler({
    config: {
      organizations: [
        {
          url: 'https://dev.azure.com/contoso',
          auth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
          pools: [
            pool('spot-pref', true),
            // A second profile for jobs that demand a GPU: it must not wait for the first one's Spot.
            // (Capabilities keep each profile's agents to their own jobs: ADO gives a job to any agent that can run it.)
            {
              name: 'spot-req',
              profiles: [
                { ...pool('spot-req', 'required').profiles[0], capabilities: { spot: 'true' } },
                { name: 'spot-req-gpu', image: 'contosoacr.azurecr.io/ado-agent:4', capabilities: { gpu: 'true' }, launcher: aci },
              ],
            },
          ],
        },
      ],
    },
    subscribe: false,
    latencies: { jobDuration: 200 },
    load: async () => {
      await import('../../functions/reconcile.js');
      await import('../../functions/scheduler.js');
      await import('../../functions/status.js');
    },
  });
});

afterAll(() => scaler?.close());

const groupsOf = (name: string) => scaler.stack.arm.groups().filter((g) => g.body.tags?.[LABELS.pool] === name);
/** The priority of each container group PUT for the pool, in order. */
const putsOf = (name: string) =>
  scaler.stack.arm
    .requests()
    .filter((r) => r.method === 'PUT')
    .map((r) => JSON.parse(r.body) as { tags?: Record<string, string>; properties: { priority?: string } })
    .filter((b) => b.tags?.[LABELS.pool] === name)
    .map((b) => b.properties.priority);

describe('Spot policy', () => {
  it('"preferred" (spot: true, the older form) serves the job on Regular when ACI fails the Spot create after accepting it', async () => {
    scaler.stack.arm.injectProvisioningFailure({ count: 1, nameContains: 'spot-pref', priority: 'Spot' });
    const job = scaler.stack.ado.queueJob({ pool: 'spot-pref' });
    await scaler.sweep();
    const done = await eventually(
      () => scaler.stack.ado.jobs().find((j) => j.requestId === job.requestId && j.state === 'finished'),
      30_000,
      'the job to be served',
    );
    expect(done.result).toBe('succeeded');
    expect(putsOf('spot-pref')).toEqual(['Spot', 'Regular']);
    expect(groupsOf('spot-pref').map((g) => [g.name, g.body.properties.priority])).toEqual([[done.agentName, 'Regular']]);
    expect(scaler.logs.filter((l) => l.level === 'warning' && l.message.includes('"spot-pref"'))).toEqual([]);
  });

  it('"required" starts no Regular agent when Spot has no capacity: the pool backs off, and the log and /api/status say why', async () => {
    const { arm, ado } = scaler.stack;
    arm.injectProvisioningFailure({ count: 100, nameContains: 'spot-req', priority: 'Spot' });
    const job = ado.queueJob({ pool: 'spot-req', demands: ['spot'] });
    await scaler.sweep();

    const warning = await eventually(
      () => scaler.logs.find((l) => l.level === 'warning' && l.message.includes('pool "spot-req"')),
      20_000,
      'a warning about "spot-req"',
    );
    expect(warning.message).toMatch(
      /starting agents of profile spot-req-std in pool "spot-req" failed; 0 started.*Profile "spot-req-std" waits for Spot in westeurope \(spot: "required"; no Spot capacity/,
    );
    const status = await eventually(
      async () => {
        const s = await scaler.status();
        return s.profiles.find((p) => p.profile === 'spot-req-std' && p.backoff);
      },
      10_000,
      'the back-off in /api/status',
    );
    expect(status.backoff!.reason).toMatch(
      /^Profile "spot-req-std" waits for Spot in westeurope \(spot: "required"; no Spot capacity for this size: The requested resource is not available in the location 'westeurope'/,
    );
    expect(Date.parse(status.backoff!.until)).toBeGreaterThan(Date.now() + 30_000);
    // The pool's next pass is scheduled for the end of the wait, not before.
    const retry = await eventually(() => scaler.signals().find((s) => s.pool === 'spot-req' && s.reason === 'scheduled'), 10_000, 'the retry of "spot-req"');
    expect(retry.dueAt).toBeGreaterThanOrEqual(Date.parse(status.backoff!.until) - 1_000);

    expect(putsOf('spot-req')).toEqual(['Spot']);
    expect(groupsOf('spot-req')).toEqual([]); // the failed Spot group was deleted
    expect(ado.jobs().find((j) => j.requestId === job.requestId)?.state).toBe('waiting');
    expect((await scaler.status()).profiles.find((p) => p.profile === 'spot-pref-std')?.backoff).toBeUndefined();

    // Meanwhile the pool's other profile serves its jobs: the wait for Spot is the profile's alone.
    const gpu = ado.queueJob({ pool: 'spot-req', demands: ['gpu'] });
    await scaler.sweep();
    const served = await eventually(() => ado.jobs().find((j) => j.requestId === gpu.requestId && j.state === 'finished'), 30_000, 'the GPU job to be served');
    expect(served.result).toBe('succeeded');
    expect(putsOf('spot-req')).toEqual(['Spot', undefined]);
    expect(ado.jobs().find((j) => j.requestId === job.requestId)?.state).toBe('waiting');
    expect((await scaler.status()).profiles.find((p) => p.profile === 'spot-req-gpu')?.backoff).toBeUndefined();
  });
});
