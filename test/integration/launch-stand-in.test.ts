import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND_QUEUE } from '../../src/config/load-settings';
import { agentName } from '../../src/launchers/agent-name';
import { eventually, startScaler, type Scaler } from './scaler-harness';
import { launchConfig } from './launch-config';
import { adoRest } from './upkeep-helpers';

// ADO gives a waiting job to any idle agent that can run it, oldest first. These scenarios send
// demands by hand, in the order that makes an agent take a job other than its own (as capacity
// delays and retries do), with no sweep to rescue the job left behind.
let scaler: Scaler;
let sender: ServiceBusSender;
let orgUrl: string;

beforeAll(async () => {
  scaler = await startScaler({
    config: launchConfig(),
    latencies: { jobDuration: 600_000 }, // agents stay busy until a test finishes their job
    subscribe: false,
    load: async () => {
      await import('../../functions/launch.js');
      await import('../../functions/status.js');
    },
  });
  orgUrl = scaler.stack.ado.orgUrl('contoso');
  sender = new ServiceBusClient(scaler.stack.serviceBus.connectionString).createSender(DEMAND_QUEUE);
});

afterAll(async () => {
  await sender?.close();
  await scaler?.close();
});

const job = (requestId: number) => scaler.stack.ado.jobs().find((j) => j.requestId === requestId);
const groupsNamed = (name: string) => scaler.stack.arm.groups().filter((g) => g.name === name);
const counter = async (name: string) => (await scaler.status()).counters[name] ?? 0;
async function demand(j: { jobId: string; requestId: number }, extra: { requestId?: number } = {}): Promise<void> {
  await sender.sendMessages({
    messageId: `${j.jobId}-${Math.random()}`,
    body: { version: 1, orgUrl, jobId: j.jobId, poolName: 'linux', source: 'webhook', observedAt: new Date().toISOString(), ...extra },
  });
}
/** Ends jobs only once their agents run them (an agent that never saw its job would idle into the next test), and waits for those agents to exit. */
async function finish(...requestIds: number[]): Promise<void> {
  const agentOf = (requestId: number) => job(requestId)?.agentName ?? '';
  await eventually(() => requestIds.every((id) => scaler.stack.agentPhase(agentOf(id)) === 'busy'), 20_000, 'the agents to run their jobs');
  const agents = requestIds.map(agentOf);
  requestIds.forEach((id) => scaler.stack.ado.finishJob(id));
  await eventually(() => agents.every((a) => scaler.stack.agentPhase(a) === 'exited'), 20_000, 'the agents to exit');
}
async function settled(): Promise<void> {
  const queue = scaler.stack.serviceBus.queue(DEMAND_QUEUE);
  await eventually(() => queue.active().length + queue.locked().length === 0, 15_000, 'the queue to drain');
}

describe('an agent that takes an older job than its own', () => {
  it('is stood in for at once by an agent for the job it took, which runs the job left waiting', async () => {
    const { ado } = scaler.stack;
    const older = ado.queueJob({ pool: 'linux', demands: ['docker'] });
    const newer = ado.queueJob({ pool: 'linux', demands: ['docker'] });
    const newerAgent = agentName(orgUrl, 'linux', newer.requestId);
    const olderAgent = agentName(orgUrl, 'linux', older.requestId);

    await demand(newer); // the older job's demand is late
    await eventually(() => job(older.requestId)?.agentName === newerAgent, 20_000, "the newer job's agent to take the older job");
    expect(job(newer.requestId)?.state).toBe('waiting');
    const before = { launches: await counter('launches'), standIns: await counter('standIns') };

    await demand(older);
    await eventually(() => job(newer.requestId)?.agentName === olderAgent, 20_000, 'the stand-in to take the job left waiting');
    expect(groupsNamed(olderAgent)[0]?.body.tags).toMatchObject({ 'ado-profile': 'linux-docker', 'ado-request-id': String(older.requestId) });
    expect(await counter('launches')).toBe(before.launches + 1);
    expect(await counter('standIns')).toBe(before.standIns + 1);
    expect(scaler.logs.some((l) => l.message.includes(`job request ${older.requestId} in pool "linux" went to agent ${newerAgent}`))).toBe(true);

    await demand(older); // a duplicate finds the stand-in there
    await settled();
    expect(groupsNamed(olderAgent)).toHaveLength(1);
    expect(await counter('launches')).toBe(before.launches + 1);
    await finish(older.requestId, newer.requestId);
  });

  it('is stood in for after the job it took has finished, when the demand knows the request (a retry)', async () => {
    const { ado } = scaler.stack;
    const older = ado.queueJob({ pool: 'linux', demands: ['docker'] });
    const newer = ado.queueJob({ pool: 'linux', demands: ['docker'] });
    await demand(newer);
    await eventually(() => job(older.requestId)?.agentName === agentName(orgUrl, 'linux', newer.requestId), 20_000, 'the older job to be taken');
    await finish(older.requestId); // gone from the pool's listing of unfinished requests

    await demand(older, { requestId: older.requestId });
    await eventually(() => job(newer.requestId)?.agentName === agentName(orgUrl, 'linux', older.requestId), 20_000, 'the stand-in to take the job left waiting');
    await finish(newer.requestId);
  });

  it('starts nothing for a job that an agent not started by the scaler took', async () => {
    const { ado } = scaler.stack;
    await adoRest(scaler).register('linux', { name: 'build-vm-3', version: '4.255.0', status: 'online', systemCapabilities: { docker: '' } });
    ado.setScheduling(false);
    const taken = ado.queueJob({ pool: 'linux', demands: ['docker'] });
    ado.assignJob(taken.requestId, 'build-vm-3');
    ado.setScheduling(true);
    const launches = await counter('launches');

    await demand(taken);
    await settled();
    expect(groupsNamed(agentName(orgUrl, 'linux', taken.requestId))).toEqual([]);
    expect(await counter('launches')).toBe(launches);
  });
});
