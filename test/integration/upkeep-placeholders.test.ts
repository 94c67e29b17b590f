import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentNameOf, profileAgentName } from '../../src/launchers/agent-name';
import { dependencies } from '../../src/runtime/dependencies';
import { runUpkeep as runUpkeepNow } from '../../src/upkeep/run-upkeep';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';
import { adoRest, runUpkeep } from './upkeep-helpers';

let scaler: Scaler;
let ado: ReturnType<typeof adoRest>;

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig(),
    latencies: { jobDuration: 200 },
    failUnmatchedJobs: true, // as ADO: a job no agent of the pool could run fails at once
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/scheduler.js');
      await import('../../functions/status.js');
      await import('../../functions/upkeep.js');
    },
  });
  ado = adoRest(scaler);
});

afterAll(() => scaler?.close());

const counter = async (name: string) => (await scaler.status()).counters[name] ?? 0;
/** The agent that ran a job: one the scheduler started for the profile, named for it. */
function servedBy(requestId: number, profile: string): string {
  const name = scaler.stack.ado.jobs().find((j) => j.requestId === requestId)?.agentName;
  expect(name).toBeDefined();
  expect(name!.startsWith(profileAgentName(ado.orgUrl, 'linux', profile, ''))).toBe(true);
  expect(isAgentNameOf(ado.orgUrl, 'linux')(name!)).toBe(true);
  return name!;
}

describe('placeholder agents', () => {
  it('are what keeps ADO from failing jobs in an empty pool', async () => {
    const { ado: emulator } = scaler.stack;
    const early = emulator.queueJob({ pool: 'linux', demands: ['docker'] });
    expect(emulator.jobs().find((j) => j.requestId === early.requestId)).toMatchObject({ state: 'finished', result: 'failed' });
    await runUpkeep(scaler);
    emulator.setScheduling(false);
    const later = emulator.queueJob({ pool: 'linux', demands: ['docker'] });
    expect(emulator.jobs().find((j) => j.requestId === later.requestId)?.state).toBe('waiting');
    const unmatched = emulator.queueJob({ pool: 'linux', demands: ['maven'] });
    expect(emulator.jobs().find((j) => j.requestId === unmatched.requestId)?.result).toBe('failed');
    emulator.setScheduling(true);
    await eventually(() => emulator.jobs().find((j) => j.requestId === later.requestId)?.result === 'succeeded', 20_000, 'the job to be served');
    // Leave the pools as the next test expects them: no agents yet. The one-shot agent removes its own
    // registration after its job; wait for that rather than race it.
    const served = servedBy(later.requestId, 'linux-docker');
    await eventually(async () => (await ado.agent('linux', served)) === undefined, 20_000, 'the one-shot agent to deregister');
    for (const pool of ['linux', 'dotnet']) for (const a of await ado.agents(pool)) await ado.remove(pool, a.id);
  });

  it('registers one offline placeholder per profile, with its capabilities, in pools that had no agent', async () => {
    expect(await ado.agents('linux')).toEqual([]);
    const createdBefore = await counter('placeholdersCreated');
    await runUpkeep(scaler);

    const linux = await ado.agents('linux');
    expect(linux.map((a) => a.name).sort()).toEqual(['placeholder-linux-docker', 'placeholder-linux-small']);
    expect(linux.find((a) => a.name === 'placeholder-linux-docker')).toMatchObject({
      status: 'offline',
      enabled: true,
      version: '4.255.0',
      systemCapabilities: { 'Agent.OS': 'Linux', docker: '', 'Agent.Version': '4.255.0' },
    });
    expect((await ado.agents('dotnet')).map((a) => [a.name, a.status, a.systemCapabilities?.dotnet])).toEqual([['placeholder-dotnet-8', 'offline', '8.0']]);
    const status = await scaler.status();
    expect(status.counters.placeholdersCreated! - createdBefore).toBe(3);
    expect((status.profiles as Array<{ profile: string; placeholder?: string }>).map((p) => [p.profile, p.placeholder])).toEqual([
      ['linux-small', 'registered'],
      ['linux-docker', 'registered'],
      ['dotnet-8', 'registered'],
    ]);

    // Kept as they are at the next run: the same registrations, nothing created, updated or removed.
    const counts = async () => Promise.all(['placeholdersCreated', 'placeholdersUpdated', 'placeholdersRemoved'].map(counter));
    const changed = await counts();
    await runUpkeep(scaler);
    expect(await ado.agents('linux')).toEqual(linux);
    expect(await counts()).toEqual(changed);
  });

  it('keeps a job with matching demands waiting on the placeholder until the started agent takes it', async () => {
    const { ado: emulator } = scaler.stack;
    emulator.setScheduling(false); // hold the job in "waiting" long enough to look at it
    const job = emulator.queueJob({ pool: 'linux', demands: ['docker', 'Agent.OS -equals Linux'] });
    const response = await fetch(`${ado.orgUrl}/_apis/distributedtask/pools/${emulator.poolId('contoso', 'linux')}/jobrequests/${job.requestId}`, {
      headers: { authorization: `Basic ${Buffer.from(':emulator-pat').toString('base64')}` },
    });
    const request = (await response.json()) as { result?: string; matchedAgents?: Array<{ name: string; status: string }> };
    // ADO's view: the job has an agent that could run it (so it is not failed), and no result yet.
    expect(request.result).toBeUndefined();
    expect(request.matchedAgents).toContainEqual(expect.objectContaining({ name: 'placeholder-linux-docker', status: 'offline' }));

    emulator.setScheduling(true);
    await eventually(() => emulator.jobs().find((j) => j.requestId === job.requestId)?.state === 'finished', 20_000, 'the job to finish');
    expect(emulator.jobs().find((j) => j.requestId === job.requestId)).toMatchObject({ result: 'succeeded' });
    const served = servedBy(job.requestId, 'linux-docker');
    expect(await ado.agent('linux', 'placeholder-linux-docker')).toMatchObject({ status: 'offline' });
    await eventually(async () => (await ado.agent('linux', served)) === undefined, 20_000, 'the one-shot agent to deregister');
  });

  it('registers a placeholder deleted by hand again at the next run', async () => {
    const before = await ado.agent('linux', 'placeholder-linux-small');
    await ado.remove('linux', before!.id);
    expect(await ado.agent('linux', 'placeholder-linux-small')).toBeUndefined();
    const created = await counter('placeholdersCreated');

    await runUpkeep(scaler);
    const again = await ado.agent('linux', 'placeholder-linux-small');
    expect(again).toMatchObject({ status: 'offline', systemCapabilities: { 'Agent.OS': 'Linux', size: 'small', 'Agent.Version': '4.255.0' } });
    expect(again!.id).not.toBe(before!.id);
    expect(await counter('placeholdersCreated')).toBe(created + 1);
  });

  it('never duplicates a placeholder, even when two runs race to recreate it', async () => {
    const gone = await ado.agent('dotnet', 'placeholder-dotnet-8');
    await ado.remove('dotnet', gone!.id);
    const quiet = () => undefined;
    const deps = { ...(await dependencies().upkeep()), log: { info: quiet, warn: quiet, error: quiet } };
    await Promise.all([runUpkeepNow(deps), runUpkeepNow(deps), runUpkeep(scaler)]);
    expect((await ado.agents('dotnet')).filter((a) => a.name === 'placeholder-dotnet-8')).toHaveLength(1);
  });

  it('brings an edited placeholder back to its profile, removes one whose profile left the config, and leaves other agents alone', async () => {
    const edited = await ado.agent('linux', 'placeholder-linux-docker');
    await ado.replace('linux', edited!.id, { name: edited!.name, version: '4.200.0', status: 'offline', systemCapabilities: { docker: '' } });
    // What a removed profile leaves behind, and agents that are not the scaler's.
    await ado.register('linux', { name: 'placeholder-retired', version: '4.255.0', status: 'offline', systemCapabilities: { 'Agent.OS': 'Linux' } });
    await ado.register('linux', { name: 'build-vm-7', version: '4.255.0', status: 'offline' });
    expect(((await scaler.status()).profiles as Array<{ profile: string; placeholder?: string }>).find((p) => p.profile === 'linux-docker')?.placeholder).toBe(
      'outdated',
    );

    await runUpkeep(scaler);
    expect(await ado.agent('linux', 'placeholder-linux-docker')).toMatchObject({
      id: edited!.id,
      version: '4.255.0',
      systemCapabilities: { 'Agent.OS': 'Linux', docker: '', 'Agent.Version': '4.255.0' },
    });
    const names = (await ado.agents('linux')).map((a) => a.name).sort();
    expect(names).toEqual(['build-vm-7', 'placeholder-linux-docker', 'placeholder-linux-small']);
    const status = await scaler.status();
    expect(status.counters).toMatchObject({ placeholdersUpdated: 1, placeholdersRemoved: 1 });
    expect(scaler.logs.some((l) => l.functionName === 'upkeep' && /removed placeholder agent placeholder-retired/.test(l.message))).toBe(true);
  });
});
