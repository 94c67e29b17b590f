import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAgentNameOf, profileAgentName } from '../../src/launchers/agent-name';
import type { Launcher } from '../../src/launchers/launcher';
import { dependencies, resetDependencies } from '../../src/runtime/dependencies';
import { eventually, startScaler, type LogLine, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';
import { adoRest, launcherOf, runUpkeep, runUpkeepLater, startAgent, startUnregisteringAgent, storedMarks } from './upkeep-helpers';

// Upkeep between jobs, against the emulators: agents are started as the scheduler starts them
// (its launcher, its names), but no scheduler runs, so whatever happens to them is upkeep's
// doing, and every signal on the queue is one upkeep sent. Runs through the timer are judged
// now, well within the grace; runUpkeepLater judges a run as if the grace had passed.
const GRACE_MS = 60_000;
const LATER = GRACE_MS + 1_000;
const MUCH_LATER = 3_600_000;

let scaler: Scaler;
let ado: ReturnType<typeof adoRest>;
const lines: LogLine[] = [];

beforeAll(async () => {
  scaler = await startScaler({
    config: { ...launchConfig(), upkeep: { keepFinished: 3, orphanGraceSeconds: GRACE_MS / 1000 }, scheduler: { idleGraceSeconds: 1 } },
    latencies: { jobDuration: 600_000 }, // agents stay busy until a test finishes their job
    subscribe: false, // no webhook, no scheduler: nothing but upkeep acts on the agents
    load: async () => {
      await import('../../functions/status.js');
      await import('../../functions/upkeep.js');
    },
  });
  ado = adoRest(scaler);
  await runUpkeep(scaler); // placeholders, as in a pool the scaler has looked after for a while
});

afterAll(() => scaler?.close());

const counters = async () => (await scaler.status()).counters;
const job = (requestId: number) => scaler.stack.ado.jobs().find((j) => j.requestId === requestId);
const group = (name: string) => scaler.stack.arm.groups().find((g) => g.name === name);
const kubeJob = (name: string) => scaler.stack.kubernetes.jobs('ado-agents').find((j) => j.metadata.name === name);
const agentSignals = () => scaler.signals().filter((s) => s.reason === 'agent');
const online = (pool: string, name: string) => eventually(async () => (await ado.agent(pool, name))?.status === 'online', 20_000, `agent ${name} to register`);
/** Upkeep's actions so far, from the status endpoint. */
const actions = async () => {
  const c = await counters();
  return { finishedDeleted: c.finishedDeleted, orphansMarked: c.orphansMarked, orphansDeleted: c.orphansDeleted, registrationsRemoved: c.registrationsRemoved };
};

describe('janitor', () => {
  it('keeps the newest keepFinished finished agents of a profile and deletes the rest', async () => {
    const { ado: emulator } = scaler.stack;
    const names: string[] = [];
    // One after the other: each container gets its own creation time.
    for (let i = 0; i < 7; i++) names.push(await startAgent('linux', 'linux-docker'));
    for (const name of names) await online('linux', name);
    const jobs = names.map(() => emulator.queueJob({ pool: 'linux', demands: ['docker'] }));
    await eventually(() => names.every((n) => scaler.stack.agentPhase(n) === 'busy'), 20_000, 'all 7 agents to run a job');
    jobs.forEach((j) => emulator.finishJob(j.requestId));
    const launcher = await launcherOf('linux', 'linux-docker');
    const finished = async () => (await launcher.list({ profile: 'linux-docker', pool: 'linux' })).filter((a) => a.phase === 'finished');
    await eventually(async () => (await finished()).length === 7, 20_000, 'all 7 agents to finish');
    const newest = (await finished()).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).map((a) => a.name);
    const before = await actions();

    await runUpkeep(scaler);
    expect((await finished()).map((a) => a.name).sort()).toEqual(newest.slice(0, 3).sort());
    for (const name of newest.slice(3)) expect(group(name)).toBeUndefined();
    expect(await actions()).toEqual({ ...before, finishedDeleted: before.finishedDeleted! + 4 });
    await runUpkeep(scaler); // nothing more to do
    expect((await finished()).map((a) => a.name).sort()).toEqual(newest.slice(0, 3).sort());
    expect(await actions()).toEqual({ ...before, finishedDeleted: before.finishedDeleted! + 4 });
  });

  it('marks a container that never registered after the grace, deletes it at the run after, and signals its pool', async () => {
    const name = await startUnregisteringAgent(scaler, 'linux', 'linux-small');
    await eventually(async () => (await (await launcherOf('linux', 'linux-small')).status(name))?.phase === 'starting', 10_000, 'the Job to be listed');
    const before = await actions();

    await runUpkeep(scaler); // within the grace: a new agent may still be starting
    expect(await actions()).toEqual(before);
    expect(await storedMarks(scaler, 'linux', 'linux-small')).toEqual([]);

    await runUpkeepLater(LATER, lines);
    expect(await actions()).toEqual({ ...before, orphansMarked: before.orphansMarked! + 1 });
    expect(await storedMarks(scaler, 'linux', 'linux-small')).toEqual([{ kind: 'orphan', name }]);
    expect(kubeJob(name)).toBeDefined();
    expect(agentSignals()).toEqual([]); // nothing freed yet

    // A fresh process (as another Functions instance would be) knows the mark from the table.
    await resetDependencies();
    await runUpkeepLater(LATER, lines);
    expect(kubeJob(name)).toBeUndefined();
    expect(await counters()).toMatchObject({ orphansDeleted: 1, orphansMarked: 0, upkeepFailures: 0 });
    expect(await storedMarks(scaler, 'linux', 'linux-small')).toEqual([]);
    // Its capacity is free again: the scheduler is asked to look at the pool.
    expect(agentSignals()).toEqual([expect.objectContaining({ version: 2, orgUrl: ado.orgUrl, pool: 'linux', reason: 'agent' })]);
  });

  it('does not delete a marked container whose agent registered before the next run', async () => {
    const name = await startUnregisteringAgent(scaler, 'linux', 'linux-small');
    await runUpkeepLater(LATER, lines);
    expect(await storedMarks(scaler, 'linux', 'linux-small')).toEqual([{ kind: 'orphan', name }]);
    const signals = agentSignals().length;
    const before = await actions();

    const registered = await ado.register('linux', { name, version: '4.255.0', status: 'online' }); // it came up after all
    await runUpkeepLater(LATER, lines);
    expect(kubeJob(name)).toBeDefined();
    expect(await ado.agent('linux', name)).toMatchObject({ status: 'online' });
    expect(await storedMarks(scaler, 'linux', 'linux-small')).toEqual([]); // the mark no longer holds
    expect(await actions()).toEqual(before);
    expect(agentSignals()).toHaveLength(signals);

    await (await launcherOf('linux', 'linux-small')).delete(name);
    await ado.remove('linux', registered.id);
  });

  it('does not delete a marked container whose agent registered during the run, after the pool was listed', async () => {
    const name = await startUnregisteringAgent(scaler, 'linux', 'linux-small');
    await runUpkeepLater(LATER, lines);
    expect(await storedMarks(scaler, 'linux', 'linux-small')).toEqual([{ kind: 'orphan', name }]);
    const signals = agentSignals().length;
    const before = await actions();

    // The agent registers while upkeep lists the containers: the registrations it read first do
    // not have it, so the orphan is up for deletion and only the look by name can save it.
    const upkeep = await dependencies().upkeep();
    let registered: number | undefined;
    const registering = (l: Launcher): Launcher => ({
      ...l,
      list: async (filter) => {
        const listed = await l.list(filter);
        registered ??= (await ado.register('linux', { name, version: '4.255.0', status: 'online' })).id;
        return listed;
      },
    });
    await runUpkeepLater(LATER, lines, { launcher: async (p) => (p.name === 'linux-small' ? registering(await upkeep.launcher(p)) : upkeep.launcher(p)) });
    expect(registered).toBeDefined();
    // It was looked for by name, just before it would have been deleted.
    expect(scaler.stack.ado.requests().some((r) => r.method === 'GET' && r.path.endsWith('/agents') && r.query.agentName === name)).toBe(true);
    expect(kubeJob(name)).toBeDefined();
    expect(await ado.agent('linux', name)).toMatchObject({ status: 'online' });
    expect(await storedMarks(scaler, 'linux', 'linux-small')).toEqual([]);
    expect(await actions()).toEqual(before);
    expect(agentSignals()).toHaveLength(signals);

    await (await launcherOf('linux', 'linux-small')).delete(name);
    await ado.remove('linux', registered!);
  });

  it('removes offline registrations our agents left behind once their container is finished or gone, and nothing else', async () => {
    const killed = await startAgent('dotnet', 'dotnet-8');
    await online('dotnet', killed);
    scaler.stack.arm.finish(killed, 137); // the container is killed: its agent does not deregister
    await eventually(async () => (await ado.agent('dotnet', killed))?.status === 'offline', 10_000, 'the registration to go offline');
    // One whose container is gone, one that is online (whatever runs it is not ours to judge),
    // and agents that are not the scaler's in this pool: someone's VM, and one named for another pool.
    const gone = profileAgentName(ado.orgUrl, 'dotnet', 'dotnet-8');
    const live = profileAgentName(ado.orgUrl, 'dotnet', 'dotnet-8');
    const otherPool = profileAgentName(ado.orgUrl, 'linux', 'linux-docker');
    for (const name of [gone, otherPool, 'build-vm-1']) await ado.register('dotnet', { name, version: '4.255.0', status: 'offline' });
    await ado.register('dotnet', { name: live, version: '4.255.0', status: 'online' });
    const before = await actions();

    await runUpkeep(scaler); // the finished container's registration goes; the young one without a container may be an agent still being listed
    let names = (await ado.agents('dotnet')).map((a) => a.name);
    expect(names).not.toContain(killed);
    expect(names).toContain(gone);
    expect(group(killed)?.container.state).toBe('Terminated'); // a finished container is kept (keepFinished)

    await runUpkeepLater(LATER, lines);
    names = (await ado.agents('dotnet')).map((a) => a.name);
    expect(names.sort()).toEqual([live, otherPool, 'build-vm-1', 'placeholder-dotnet-8'].sort());
    expect(await actions()).toEqual({ ...before, registrationsRemoved: before.registrationsRemoved! + 2 });
    expect(isAgentNameOf(ado.orgUrl, 'dotnet')(otherPool)).toBe(false);

    for (const a of await ado.agents('dotnet')) if (a.name !== 'placeholder-dotnet-8') await ado.remove('dotnet', a.id);
  });

  it('never touches a busy agent, however late a run judges it', async () => {
    const { ado: emulator } = scaler.stack;
    const name = await startAgent('linux', 'linux-docker');
    await online('linux', name);
    const queued = emulator.queueJob({ pool: 'linux', demands: ['docker'] });
    await eventually(() => scaler.stack.agentPhase(name) === 'busy', 20_000, 'the agent to run the job');
    expect(job(queued.requestId)).toMatchObject({ state: 'running', agentName: name });
    const before = await actions();

    await runUpkeep(scaler);
    await runUpkeepLater(MUCH_LATER, lines);
    await runUpkeepLater(MUCH_LATER, lines);
    expect(group(name)?.container.state).toBe('Running');
    expect(scaler.stack.agentPhase(name)).toBe('busy');
    expect(job(queued.requestId)).toMatchObject({ state: 'running', agentName: name });
    expect(await ado.agent('linux', name)).toMatchObject({ status: 'online', enabled: true, assignedRequest: { requestId: queued.requestId } });
    expect(await actions()).toEqual(before);

    // Leave no finished container behind for the next test's runs to count.
    emulator.finishJob(queued.requestId);
    const launcher = await launcherOf('linux', 'linux-docker');
    await eventually(async () => (await launcher.status(name))?.phase === 'finished', 10_000, 'the agent to finish');
    await launcher.delete(name);
  });

  it("leaves an idle registered agent running: stopping agents beyond demand is the scheduler's job", async () => {
    const name = await startAgent('dotnet', 'dotnet-8');
    await online('dotnet', name);
    expect(scaler.stack.agentPhase(name)).toBe('idle');
    const before = await actions();

    // Past the scheduler's idle grace and upkeep's own, by an hour.
    await runUpkeep(scaler);
    await runUpkeepLater(MUCH_LATER, lines);
    await runUpkeepLater(MUCH_LATER, lines);
    expect(group(name)?.container.state).toBe('Running');
    expect(scaler.stack.agentPhase(name)).toBe('idle');
    expect(await ado.agent('dotnet', name)).toMatchObject({ status: 'online', enabled: true });
    expect(await storedMarks(scaler, 'dotnet', 'dotnet-8')).toEqual([]);
    expect(await actions()).toEqual(before);
    expect((await counters()).agentsStopped).toBe(0);

    await (await launcherOf('dotnet', 'dotnet-8')).delete(name);
    await eventually(async () => (await ado.agent('dotnet', name))?.status === 'offline', 10_000, 'the registration to go offline');
    await ado.remove('dotnet', (await ado.agent('dotnet', name))!.id);
  });

  it('logged every action it took, stopped no agent, and failed at nothing', () => {
    const upkeep = [...scaler.logs.filter((l) => l.functionName === 'upkeep'), ...lines];
    expect(upkeep.filter((l) => l.level === 'error')).toEqual([]);
    for (const action of ['deleted finished agent', 'has no registration', 'deleted orphaned agent', 'removed the offline registration']) {
      expect(upkeep.some((l) => l.message.includes(action))).toBe(true);
    }
    expect(upkeep.filter((l) => /\bstopped\b/.test(l.message))).toEqual([]);
  });
});
