import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentName } from '../../src/launchers/agent-name';
import { agentJob, agentLabels } from '../../src/launchers/aks/aks-manifest';
import { capacityKey } from '../../src/launch/launch-demand';
import { dependencies, resetDependencies } from '../../src/runtime/dependencies';
import { UPKEEP_TABLE } from '../../src/upkeep/upkeep-marks';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';
import { adoRest, runUpkeep } from './upkeep-helpers';

let scaler: Scaler;
let ado: ReturnType<typeof adoRest>;

beforeAll(async () => {
  scaler = await startScaler({
    // Time passes through the config: an agent is idle "too long" after 1 s, and a container
    // without a registration is an orphan candidate after 3 s.
    config: { ...launchConfig(), upkeep: { keepFinished: 5, idleTtlSeconds: 1, orphanGraceSeconds: 3 } },
    latencies: { jobDuration: 600_000 }, // agents stay busy until a test finishes their job
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/launch.js');
      await import('../../functions/status.js');
      await import('../../functions/upkeep.js');
    },
  });
  ado = adoRest(scaler);
});

afterAll(() => scaler?.close());

const counters = async () => (await scaler.status()).counters;
const job = (requestId: number) => scaler.stack.ado.jobs().find((j) => j.requestId === requestId);
const group = (name: string) => scaler.stack.arm.groups().find((g) => g.name === name);
const profile = (pool: number, index: number) => dependencies().settings.config.organizations[0]!.pools[pool]!.profiles[index]!;
async function claimsOf(pool: number, index: number): Promise<number[]> {
  const org = dependencies().settings.config.organizations[0]!;
  const ledger = (await dependencies().launch()).ledger;
  return (await ledger.claims(capacityKey(org, org.pools[pool]!, profile(pool, index)))).map((c) => c.requestId);
}

describe('janitor', () => {
  it('stops an agent whose job was cancelled before pickup once idle past the TTL, and removes its registration', async () => {
    const { ado: emulator } = scaler.stack;
    emulator.setScheduling(false); // the agent starts but cannot take the job
    const queued = emulator.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] });
    const name = agentName(ado.orgUrl, 'dotnet', queued.requestId);
    await eventually(async () => (await ado.agent('dotnet', name))?.status === 'online', 20_000, 'the agent to register');
    emulator.cancelJob(queued.requestId);
    emulator.setScheduling(true);

    await runUpkeep(scaler); // first seen idle: marked, not stopped
    expect(group(name)?.container.state).toBe('Running');
    await eventually(async () => (await runUpkeep(scaler), group(name) === undefined), 20_000, 'the idle agent to be stopped');

    expect(await ado.agent('dotnet', name)).toBeUndefined();
    expect(await claimsOf(1, 0)).not.toContain(queued.requestId);
    expect(await counters()).toMatchObject({ idleStopped: 1, registrationsRemoved: 1 });
    expect(scaler.logs.some((l) => l.functionName === 'upkeep' && l.message.includes(`stopped agent ${name}`))).toBe(true);
  });

  it('leaves an idle agent alone past its TTL while a job of its profile waits for it', async () => {
    const { ado: emulator } = scaler.stack;
    emulator.setScheduling(false); // the job waits; ADO would give it to this agent any moment
    const queued = emulator.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] });
    const name = agentName(ado.orgUrl, 'dotnet', queued.requestId);
    await eventually(async () => (await ado.agent('dotnet', name))?.status === 'online', 20_000, 'the agent to register');
    const idleSince = Date.now();
    let runs = 0;
    await eventually(async () => (await runUpkeep(scaler), ++runs >= 3 && Date.now() - idleSince > 2_000), 30_000, 'runs past the TTL');

    expect(group(name)?.container.state).toBe('Running');
    expect(await ado.agent('dotnet', name)).toMatchObject({ status: 'online', enabled: true });
    emulator.setScheduling(true);
    expect(job(queued.requestId)).toMatchObject({ state: 'running', agentName: name });
    emulator.finishJob(queued.requestId);
  });

  it('never touches a busy agent, however many runs pass its TTL', async () => {
    const { ado: emulator } = scaler.stack;
    const queued = emulator.queueJob({ pool: 'linux', demands: ['docker'] });
    const name = agentName(ado.orgUrl, 'linux', queued.requestId);
    await eventually(() => job(queued.requestId)?.state === 'running', 20_000, 'the job to run');
    const busySince = Date.now();
    let runs = 0;
    // Runs until three TTLs have passed (at least four runs): the agent stays busy throughout.
    await eventually(async () => (await runUpkeep(scaler), ++runs >= 4 && Date.now() - busySince > 3_000), 30_000, 'runs past the TTL');

    expect(group(name)?.container.state).toBe('Running');
    expect(job(queued.requestId)).toMatchObject({ state: 'running', agentName: name });
    expect(await ado.agent('linux', name)).toMatchObject({ status: 'online', enabled: true, assignedRequest: { requestId: queued.requestId } });
    expect(await claimsOf(0, 1)).toContain(queued.requestId);
    emulator.finishJob(queued.requestId);
  });

  it('keeps the newest keepFinished finished agents of a profile and deletes the rest', async () => {
    const { ado: emulator } = scaler.stack;
    const jobs = Array.from({ length: 20 }, () => emulator.queueJob({ pool: 'linux', demands: ['docker'] }));
    const busy = (requestId: number) => {
      const running = job(requestId);
      return running?.state === 'running' && scaler.stack.agentPhase(running.agentName!) === 'busy';
    };
    await eventually(() => jobs.every((j) => busy(j.requestId)), 30_000, 'all 20 agents to run their jobs');
    jobs.forEach((j) => emulator.finishJob(j.requestId));
    const launcher = await (await dependencies().launch()).launcher(profile(0, 1));
    const finished = () => launcher.list({ profile: 'linux-docker', pool: 'linux' }).then((all) => all.filter((a) => a.phase === 'finished'));
    await eventually(async () => (await finished()).length >= 20, 20_000, 'all 20 agents to finish');
    const newest = (await finished()).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).map((a) => a.name);
    const before = (await counters()).finishedDeleted ?? 0;

    await runUpkeep(scaler);
    expect((await finished()).map((a) => a.name).sort()).toEqual(newest.slice(0, 5).sort());
    expect((await counters()).finishedDeleted).toBe(before + newest.length - 5);
    const claims = await claimsOf(0, 1);
    expect(jobs.filter((j) => newest.slice(5).includes(agentName(ado.orgUrl, 'linux', j.requestId))).some((j) => claims.includes(j.requestId))).toBe(false);
    await runUpkeep(scaler); // nothing more to do
    expect((await finished()).length).toBe(5);
  });

  it('marks a container that never registered after the grace, and deletes it only at the run after', async () => {
    const org = dependencies().settings.config.organizations[0]!;
    const spec = { name: agentName(org.url.url, 'linux', 99_999), orgUrl: org.url.url, pool: 'linux', requestId: 99_999, jobId: 'orphan', profile: profile(0, 0), pat: 'unused' };
    // The Job as the AKS launcher writes it, without the Secret holding its token: its pod never
    // starts, so its agent never registers (as with an image that cannot start).
    const token = await (await dependencies().azureCredential()).getToken('6dae42f8-4368-4678-94ff-3960e28e3630/.default');
    const created = await fetch(`${scaler.stack.kubernetes.url}/apis/batch/v1/namespaces/ado-agents/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token?.token ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify(agentJob(spec, 'v2', agentLabels(spec, new Date()))),
    });
    expect(created.status).toBe(201);
    const createdAt = Date.parse((await created.json() as { metadata: { creationTimestamp: string } }).metadata.creationTimestamp);
    const exists = () => scaler.stack.kubernetes.jobs('ado-agents').some((j) => j.metadata.name === spec.name);
    const marked = async () => (await counters()).orphansMarked ?? 0;
    const before = await marked();

    await runUpkeep(scaler); // within the grace: a new agent may still be starting
    expect(await marked()).toBe(before);
    await eventually(async () => (await runUpkeep(scaler), (await marked()) > before), 20_000, 'the orphan to be marked');
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(3_000);
    expect(exists()).toBe(true);
    const table = TableClient.fromConnectionString(scaler.stack.storage.connectionString, UPKEEP_TABLE, { allowInsecureConnection: true });
    const marks = [];
    for await (const e of table.listEntities()) marks.push(e.rowKey);
    expect(marks).toContain(`orphan-${spec.name}`);

    // A fresh process (as another Functions instance would be) knows the mark from the table.
    await resetDependencies();
    await runUpkeep(scaler);
    expect(exists()).toBe(false);
    expect(await counters()).toMatchObject({ orphansDeleted: 1 });
    const after = [];
    for await (const e of table.listEntities()) after.push(e.rowKey);
    expect(after).not.toContain(`orphan-${spec.name}`);
  });

  it('removes, with the current PAT, offline registrations our agents left behind, and nothing else', async () => {
    const { ado: emulator, arm } = scaler.stack;
    emulator.setScheduling(false);
    const queued = emulator.queueJob({ pool: 'dotnet', demands: ['dotnet -equals 8.0'] });
    const killed = agentName(ado.orgUrl, 'dotnet', queued.requestId);
    await eventually(async () => (await ado.agent('dotnet', killed))?.status === 'online', 20_000, 'the agent to register');
    arm.finish(killed, 137); // the container is killed: its agent does not deregister
    emulator.cancelJob(queued.requestId);
    emulator.setScheduling(true);
    await eventually(async () => (await ado.agent('dotnet', killed))?.status === 'offline', 10_000, 'the registration to go offline');
    // One whose container is long gone, and agents that are not the scaler's.
    const gone = agentName(ado.orgUrl, 'dotnet', 88_888);
    await ado.register('dotnet', { name: gone, version: '4.255.0', status: 'offline' });
    await ado.register('dotnet', { name: 'build-vm-1', version: '4.255.0', status: 'offline' });

    await eventually(async () => (await runUpkeep(scaler), (await ado.agent('dotnet', gone)) === undefined), 20_000, 'the stale registrations to go');
    const names = (await ado.agents('dotnet')).map((a) => a.name);
    expect(names).not.toContain(killed);
    expect(names).toEqual(expect.arrayContaining(['build-vm-1', 'placeholder-dotnet-8']));
  });

  it('logged every action it took, and no failure', () => {
    const upkeep = scaler.logs.filter((l) => l.functionName === 'upkeep');
    expect(upkeep.filter((l) => l.level === 'error')).toEqual([]);
    for (const action of ['stopped agent', 'deleted finished agent', 'has no registration', 'deleted orphaned agent', 'removed the offline registration']) {
      expect(upkeep.some((l) => l.message.includes(action))).toBe(true);
    }
  });
});
