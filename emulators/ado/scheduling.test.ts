import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_EVENT_TYPE, startAdoEmulator, type AdoEmulator, type JobView } from './ado-emulator';

const AUTH = `Basic ${Buffer.from(':emulator-pat').toString('base64')}`;
const ORG = 'fabrikam';

let emulator: AdoEmulator;
let hooks: Server;
const hookStates: Array<{ jobId: string; state: string }> = [];

beforeAll(async () => {
  emulator = await startAdoEmulator({ organizations: [{ name: ORG, pools: ['demands', 'order', 'states', 'toggle', 'killed', 'hooks', 'updating'] }] });
  hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resource: { job: { id: string; state: string } } };
      hookStates.push({ jobId: event.resource.job.id, state: event.resource.job.state });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await emulator.close();
  await new Promise((resolve) => hooks.close(resolve));
});

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${emulator.orgUrl(ORG)}/_apis/${path}`, {
    method,
    headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface Agent {
  id: number;
  name: string;
  status: string;
  assignedRequest?: { requestId: number; jobId: string };
}

async function register(pool: string, name: string, extra: Record<string, unknown> = {}): Promise<Agent> {
  const agent = { name, version: '4.255.0', status: 'online', enabled: true, ...extra };
  return rest<Agent>('POST', `distributedtask/pools/${emulator.poolId(ORG, pool)}/agents`, agent);
}

async function patchAgent(pool: string, agentId: number, change: Record<string, unknown>): Promise<void> {
  await rest('PATCH', `distributedtask/pools/${emulator.poolId(ORG, pool)}/agents/${agentId}`, { id: agentId, ...change });
}

function job(requestId: number): JobView {
  const found = emulator.jobs().find((j) => j.requestId === requestId);
  if (!found) throw new Error(`no job ${requestId}`);
  return found;
}

const stateOf = (requestId: number) => [job(requestId).state, job(requestId).agentName];

describe('automatic assignment', () => {
  it('gives an agent the oldest waiting job whose demands it meets, and leaves the others waiting', async () => {
    const queue = (...demands: string[]) => emulator.queueJob({ pool: 'demands', demands }).requestId;
    const maven = queue('maven');
    const windows = queue('Agent.OS -equals Windows');
    const tooNew = queue('Agent.Version -gtVersion 5.0');
    const matching = queue('docker', 'Agent.OS -equals LINUX', 'Agent.Version -gtVersion 4.255.0', 'gpu -equals a100', 'Agent.Name');
    const younger = queue('docker');

    await register('demands', 'agent-a', { systemCapabilities: { docker: '', 'Agent.OS': 'Linux' }, userCapabilities: { gpu: 'A100' } });

    expect(stateOf(matching)).toEqual(['running', 'agent-a']);
    for (const id of [maven, windows, tooNew, younger]) expect(stateOf(id)).toEqual(['waiting', undefined]);
    const [waiting] = (
      await rest<{ value: Array<{ requestId: number }> }>('GET', `distributedtask/pools/${emulator.poolId(ORG, 'demands')}/jobrequests?completedRequestCount=0`)
    ).value;
    expect(waiting?.requestId).toBe(maven);
  });

  it('runs one job per agent, oldest first, and reports it as assignedRequest', async () => {
    const poolId = emulator.poolId(ORG, 'order');
    const [first, second, third] = [1, 2, 3].map(() => emulator.queueJob({ pool: 'order' }));
    const one = await register('order', 'one');
    expect([stateOf(first!.requestId), stateOf(second!.requestId)]).toEqual([
      ['running', 'one'],
      ['waiting', undefined],
    ]);

    const got = await rest<Agent>('GET', `distributedtask/pools/${poolId}/agents/${one.id}?includeAssignedRequest=true`);
    expect(got.assignedRequest).toMatchObject({ requestId: first!.requestId, jobId: first!.jobId, reservedAgent: { name: 'one' } });
    const listed = await rest<{ value: Agent[] }>('GET', `distributedtask/pools/${poolId}/agents?includeAssignedRequest=true`);
    expect(listed.value.map((a) => a.assignedRequest?.requestId)).toEqual([first!.requestId]);
    expect(await rest<Agent>('GET', `distributedtask/pools/${poolId}/agents/${one.id}`)).not.toHaveProperty('assignedRequest');

    // A one-shot agent goes offline when its job ends, so the next job waits for another agent.
    emulator.finishJob(first!.requestId);
    expect(stateOf(second!.requestId)).toEqual(['waiting', undefined]);
    expect(await rest<Agent>('GET', `distributedtask/pools/${poolId}/agents/${one.id}?includeAssignedRequest=true`)).toMatchObject({ status: 'offline' });
    expect((await rest<Agent>('GET', `distributedtask/pools/${poolId}/agents/${one.id}?includeAssignedRequest=true`)).assignedRequest).toBeUndefined();
    await register('order', 'two');
    expect([stateOf(second!.requestId), stateOf(third!.requestId)]).toEqual([
      ['running', 'two'],
      ['waiting', undefined],
    ]);
  });

  it('uses neither offline nor disabled agents until they come online and are enabled', async () => {
    const offline = await register('states', 'offline', { status: 'offline' });
    const disabled = await register('states', 'disabled', { enabled: false });
    const a = emulator.queueJob({ pool: 'states' }).requestId;
    const b = emulator.queueJob({ pool: 'states' }).requestId;
    expect([job(a).state, job(b).state]).toEqual(['waiting', 'waiting']);

    await patchAgent('states', disabled.id, { enabled: true });
    expect([stateOf(a), stateOf(b)]).toEqual([
      ['running', 'disabled'],
      ['waiting', undefined],
    ]);
    await patchAgent('states', offline.id, { status: 'online' });
    expect(stateOf(b)).toEqual(['running', 'offline']);
  });

  it('can be switched off, leaving jobs to the admin assign, and assigns when switched back on', async () => {
    const admin = (body: unknown) =>
      fetch(`${emulator.url}/_admin/scheduling`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    try {
      expect(await (await admin({ enabled: false })).json()).toEqual({ enabled: false });
      expect((await admin({ enabled: 'no' })).status).toBe(400);
      await register('toggle', 'manual');
      await register('toggle', 'later');
      const held = emulator.queueJob({ pool: 'toggle' }).requestId;
      const assigned = emulator.queueJob({ pool: 'toggle' }).requestId;
      expect(job(held).state).toBe('waiting');
      emulator.assignJob(assigned, 'manual');
      expect(stateOf(assigned)).toEqual(['running', 'manual']);
      // Assigning what already runs on that agent is accepted; on another agent it is a conflict.
      expect(emulator.assignJob(assigned, 'manual').state).toBe('running');
      expect(() => emulator.assignJob(assigned, 'later')).toThrow(/running, not waiting/);
    } finally {
      await admin({ enabled: true });
    }
    expect(stateOf(emulator.jobs().find((j) => j.pool === 'toggle')!.requestId)).toEqual(['running', 'later']);
  });

  it('abandons the job of an agent whose session ends unannounced, and does not give it another', async () => {
    const agent = await register('killed', 'killed-agent');
    const running = emulator.queueJob({ pool: 'killed' }).requestId;
    const response = await fetch(`${emulator.url}/_admin/agents/${agent.id}/disconnect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ org: ORG }),
    });
    expect(await response.json()).toEqual({ agentId: agent.id, abandonedRequestId: running });
    expect(job(running)).toMatchObject({ state: 'finished', result: 'abandoned' });
    const next = emulator.queueJob({ pool: 'killed' }).requestId;
    expect(job(next).state).toBe('waiting');
  });

  it('gives an agent asked to update no job until it reports the new version', async () => {
    const agent = await register('updating', 'updating-agent');
    const response = await fetch(`${emulator.url}/_admin/agents/${agent.id}/update`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ org: ORG, targetVersion: '4.260.0' }),
    });
    expect(await response.json()).toEqual({ agentId: agent.id, poolId: emulator.poolId(ORG, 'updating'), targetVersion: '4.260.0' });
    const seen = await rest<Agent & { pendingUpdate?: unknown }>('GET', `distributedtask/pools/${emulator.poolId(ORG, 'updating')}/agents/${agent.id}`);
    expect(seen.pendingUpdate).toMatchObject({
      reason: { code: 'manual' },
      sourceVersion: { major: 4, minor: 255, patch: 0 },
      targetVersion: { major: 4, minor: 260, patch: 0 },
    });

    const held = emulator.queueJob({ pool: 'updating' }).requestId;
    expect(job(held).state).toBe('waiting');
    await patchAgent('updating', agent.id, { version: '4.260.0' });
    expect(job(held)).toMatchObject({ state: 'running', agentName: 'updating-agent' });
    expect(() => emulator.requestAgentUpdate(agent.id, 'latest', ORG)).toThrow(/"targetVersion" must be an agent version/);
  });

  it('sends the running event when it assigns', async () => {
    const url = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
    await rest('POST', 'hooks/subscriptions', {
      publisherId: 'pipelines',
      eventType: JOB_EVENT_TYPE,
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      consumerInputs: { url },
    });
    await register('hooks', 'hooked-agent');
    const { jobId } = emulator.queueJob({ pool: 'hooks' });
    await emulator.deliveriesSettled();
    expect(
      hookStates
        .filter((h) => h.jobId === jobId)
        .map((h) => h.state)
        .sort(),
    ).toEqual(['inProgress', 'waiting']);
  });
});
