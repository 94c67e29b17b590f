import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAdoEmulator, type AdoEmulator, type JobView } from '../ado/ado-emulator';
import { startSimulatedAgent, type JobDurationRequest, type SimulatedAgent, type SimulatedAgentOptions } from './simulated-agent';
import { eventually } from '../../test/helpers/wait-for-value';

const ORG = 'fabrikam';
const PAT = 'agent-pat';
const POOLS = [
  'takes',
  'later',
  'picky',
  'bad-token',
  'stop-idle',
  'stop-busy',
  'cancelled',
  'restarted',
  'revoked',
  'slow-config',
  'per-job',
  'updates',
  'no-updates',
];

let ado: AdoEmulator;
const started: SimulatedAgent[] = [];
const logs: string[] = [];

beforeAll(async () => {
  ado = await startAdoEmulator({ organizations: [{ name: ORG, pools: POOLS }], tokens: ['emulator-pat', PAT] });
});

afterEach(async () => {
  // A failed test must not leave an agent polling into the next one.
  const leftover = started.splice(0);
  for (const a of leftover) a.stop();
  await Promise.all(leftover.map((a) => a.exited));
});

afterAll(async () => {
  await ado.close();
});

function agent(
  pool: string,
  name: string,
  extra: Partial<SimulatedAgentOptions> & { readonly token?: string; readonly vars?: Record<string, string> } = {},
): SimulatedAgent {
  const { token = PAT, vars = {}, ...options } = extra;
  const simulated = startSimulatedAgent({
    // The trailing slash is what users paste; the agent copes like the real one.
    env: { AZP_URL: `${ado.orgUrl(ORG)}/`, AZP_POOL: pool.toUpperCase(), AZP_AGENT_NAME: name, AZP_TOKEN: token, ...vars },
    jobDuration: 100,
    pollMs: 10,
    log: (line) => logs.push(line),
    ...options,
  });
  started.push(simulated);
  return simulated;
}

function job(requestId: number): JobView {
  return ado.jobs().find((j) => j.requestId === requestId)!;
}

interface AgentBody {
  id: number;
  name: string;
  status: string;
  systemCapabilities?: Record<string, string>;
}

async function registrations(pool: string): Promise<AgentBody[]> {
  const url = `${ado.orgUrl(ORG)}/_apis/distributedtask/pools/${ado.poolId(ORG, pool)}/agents?includeCapabilities=true`;
  const response = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(':emulator-pat').toString('base64')}` } });
  return ((await response.json()) as { value: AgentBody[] }).value;
}

/** Polls of its own registration the agent has made so far: proof it has looked, without sleeping. */
const pollsBy = (pool: string) => ado.requests().filter((r) => r.poolId === ado.poolId(ORG, pool) && r.query.includeAssignedRequest === 'true').length;

describe('simulated agent', () => {
  it('takes a matching waiting job, finishes it, removes its registration and exits 0', async () => {
    const { requestId } = ado.queueJob({ pool: 'takes', demands: ['docker', 'Agent.OS -equals linux', 'Agent.Version -gtVersion 3.0'] });
    const a = agent('takes', 'agent-takes', {
      jobDuration: 300,
      vars: { docker: '/usr/bin/docker', PATH: '/usr/bin', REGISTRY_PASSWORD: 'hunter2', NPM_TOKEN: 'npm_x' },
    });

    await eventually(
      'busy',
      () => a.phase,
      (p) => p === 'busy',
    );
    expect(job(requestId)).toMatchObject({ state: 'running', agentName: 'agent-takes' });
    const [registered] = await registrations('takes');
    expect(registered?.systemCapabilities).toEqual({
      docker: '/usr/bin/docker',
      PATH: '/usr/bin',
      'Agent.Name': 'agent-takes',
      'Agent.OS': 'Linux',
      'Agent.Version': '4.255.0',
    });

    expect(await a.exited).toBe(0);
    expect(a.phase).toBe('exited');
    expect(job(requestId)).toMatchObject({ state: 'finished', result: 'succeeded' });
    expect(await registrations('takes')).toEqual([]);
    expect(logs.join('\n')).not.toContain(PAT);
  });

  it('takes a job queued after it became idle', async () => {
    const a = agent('later', 'agent-later');
    await eventually(
      'idle',
      () => a.phase,
      (p) => p === 'idle',
    );
    const { requestId } = ado.queueJob({ pool: 'later' });
    expect(await a.exited).toBe(0);
    expect(job(requestId)).toMatchObject({ state: 'finished', result: 'succeeded', agentName: 'agent-later' });
  });

  it('leaves a job whose demands it lacks and takes the next one it meets', async () => {
    const maven = ado.queueJob({ pool: 'picky', demands: ['maven'] }).requestId;
    const a = agent('picky', 'agent-picky', { vars: { docker: '' } });
    await eventually(
      'several polls',
      () => pollsBy('picky'),
      (n) => n >= 3,
    );
    expect([a.phase, job(maven).state]).toEqual(['idle', 'waiting']);

    const docker = ado.queueJob({ pool: 'picky', demands: ['docker'] }).requestId;
    expect(await a.exited).toBe(0);
    expect([job(maven).state, job(docker).state]).toEqual(['waiting', 'finished']);
  });

  it('exits 1 at once with a wrong token or an unknown pool', async () => {
    const startedAt = Date.now();
    expect(await agent('bad-token', 'agent-bad', { token: 'wrong' }).exited).toBe(1);
    expect(await agent('no-such-pool', 'agent-lost').exited).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(await registrations('bad-token')).toEqual([]);
    expect(logs.join('\n')).not.toContain('wrong');
  });

  it('stopped while idle exits 143 and leaves its registration offline for the janitor', async () => {
    const a = agent('stop-idle', 'agent-stop-idle');
    await eventually(
      'idle',
      () => a.phase,
      (p) => p === 'idle',
    );
    a.stop();
    expect(await a.exited).toBe(143);
    expect((await registrations('stop-idle')).map((r) => [r.name, r.status])).toEqual([['agent-stop-idle', 'offline']]);
    // An offline agent takes nothing: the job waits for a fresh agent instead of a dead one.
    expect(job(ado.queueJob({ pool: 'stop-idle' }).requestId).state).toBe('waiting');
  });

  it('stopped while busy exits 143 and ADO abandons its job', async () => {
    const { requestId } = ado.queueJob({ pool: 'stop-busy' });
    const a = agent('stop-busy', 'agent-stop-busy', { jobDuration: 60_000 });
    await eventually(
      'busy',
      () => a.phase,
      (p) => p === 'busy',
    );
    a.stop();
    expect(await a.exited).toBe(143);
    expect(job(requestId)).toMatchObject({ state: 'finished', result: 'abandoned' });
  });

  it('stops and exits 0 when its job is cancelled while it runs', async () => {
    const { requestId } = ado.queueJob({ pool: 'cancelled' });
    const a = agent('cancelled', 'agent-cancelled', { jobDuration: 60_000 });
    await eventually(
      'busy',
      () => a.phase,
      (p) => p === 'busy',
    );
    ado.cancelJob(requestId);
    expect(await a.exited).toBe(0);
    expect(job(requestId)).toMatchObject({ state: 'finished', result: 'canceled' });
    expect(await registrations('cancelled')).toEqual([]);
  });

  it('replaces a registration of the same name, as a restarted container does', async () => {
    const first = agent('restarted', 'agent-restarted');
    await eventually(
      'idle',
      () => first.phase,
      (p) => p === 'idle',
    );
    first.stop();
    expect(await first.exited).toBe(143);
    const [before] = await registrations('restarted');

    const again = agent('restarted', 'agent-restarted');
    await eventually(
      'idle',
      () => again.phase,
      (p) => p === 'idle',
    );
    expect((await registrations('restarted')).map((r) => [r.id, r.status])).toEqual([[before!.id, 'online']]);
    ado.queueJob({ pool: 'restarted' });
    expect(await again.exited).toBe(0);
  });

  it('finishes its job after its PAT is revoked, and leaves the registration to the janitor', async () => {
    ado.addToken('short-lived');
    const a = agent('revoked', 'agent-revoked', { token: 'short-lived' });
    await eventually(
      'idle',
      () => a.phase,
      (p) => p === 'idle',
    );
    ado.revokeToken('short-lived');
    const { requestId } = ado.queueJob({ pool: 'revoked' });
    expect(await a.exited).toBe(0);
    expect(job(requestId)).toMatchObject({ state: 'finished', result: 'succeeded' });
    expect((await registrations('revoked')).map((r) => [r.name, r.status])).toEqual([['agent-revoked', 'offline']]);
    expect(logs.some((l) => l.includes('[agent-revoked] could not remove its registration (HTTP 401)'))).toBe(true);
  });

  it('spends its registration delay before registering, and records when things happened', async () => {
    const before = Date.now();
    const a = agent('slow-config', 'agent-slow-config', { registrationDelay: { kind: 'uniform', minMs: 150, maxMs: 250 }, random: () => 0.5 });
    expect(a.phase).toBe('registering');
    expect(a.timeline).toEqual({ startedAt: expect.any(Number) as number });
    const { requestId } = ado.queueJob({ pool: 'slow-config' });
    expect(await a.exited).toBe(0);

    const t = a.timeline;
    expect(t.startedAt).toBeGreaterThanOrEqual(before);
    expect(t.registeredAt! - t.startedAt).toBeGreaterThanOrEqual(198); // the 200 ms draw (timers may fire a millisecond early)
    expect(t.jobStartedAt).toBeGreaterThanOrEqual(t.registeredAt!);
    expect(t.exitedAt! - t.jobStartedAt!).toBeGreaterThanOrEqual(99); // the 100 ms job
    expect(t).toMatchObject({ requestId, exitCode: 0 });
    expect(job(requestId)).toMatchObject({ state: 'finished', result: 'succeeded', agentName: 'agent-slow-config' });
  });

  it('stopped during its registration delay exits 143 without registering', async () => {
    const a = agent('slow-config', 'agent-never-configured', { registrationDelay: 60_000 });
    a.stop();
    expect(await a.exited).toBe(143);
    expect(a.timeline).toEqual({ startedAt: expect.any(Number) as number, exitedAt: expect.any(Number) as number, exitCode: 143 });
    expect((await registrations('slow-config')).map((r) => r.name)).not.toContain('agent-never-configured');
  });

  it('runs each job for the duration a function gives its request', async () => {
    const asked: JobDurationRequest[] = [];
    const queued = ado.queueJob({ pool: 'per-job' });
    const a = agent('per-job', 'agent-per-job', {
      jobDuration: (request) => {
        asked.push(request);
        return request.requestId === queued.requestId ? 250 : 0;
      },
    });
    expect(await a.exited).toBe(0);
    expect(asked).toEqual([{ requestId: queued.requestId, jobId: queued.jobId }]);
    const t = a.timeline;
    expect(t.exitedAt! - t.jobStartedAt!).toBeGreaterThanOrEqual(248);
    expect(t.requestId).toBe(queued.requestId);
  });

  describe('asked by ADO to update while it runs its one job', () => {
    /** Starts an agent on a long job, has ADO ask it to update, and ends the job once the agent has seen the request. */
    async function updateMidJob(pool: string, name: string, vars: Record<string, string> = {}) {
      const first = ado.queueJob({ pool });
      const a = agent(pool, name, { jobDuration: 60_000, vars });
      await eventually(
        'busy',
        () => a.phase,
        (p) => p === 'busy',
      );
      const [registered] = await registrations(pool);
      const polls = pollsBy(pool);
      ado.requestAgentUpdate(registered!.id, '4.260.0');
      const next = ado.queueJob({ pool });
      // Two more polls: at least one was answered after the request.
      await eventually(
        'the agent to look at its registration again',
        () => pollsBy(pool),
        (n) => n > polls + 1,
      );
      ado.finishJob(first.requestId, 'succeeded');
      return { a, first, next };
    }

    it('takes the update and, restarted by run.sh, comes back for a second job (azure-pipelines-agent#2311, #2762)', async () => {
      const { a, first, next } = await updateMidJob('updates', 'agent-updates');

      await eventually(
        'the second job to run on the same agent',
        () => job(next.requestId).agentName,
        (n) => n === 'agent-updates',
      );
      expect(job(first.requestId)).toMatchObject({ state: 'finished', agentName: 'agent-updates' });
      expect((await registrations('updates'))[0]).toMatchObject({ name: 'agent-updates', status: 'online' });
      ado.finishJob(next.requestId, 'succeeded');
      expect(await a.exited).toBe(0);
    });

    it('with agent.disableupdate set (as infra/agent-image does) keeps to its one job and exits 0', async () => {
      const { a, first, next } = await updateMidJob('no-updates', 'agent-no-updates', { 'agent.disableupdate': 'true' });

      await eventually(
        'the agent to exit after its one job',
        () => a.phase,
        (p) => p === 'exited',
      );
      expect(await a.exited).toBe(0);
      expect(job(first.requestId)).toMatchObject({ state: 'finished', agentName: 'agent-no-updates' });
      expect(job(next.requestId)).toMatchObject({ state: 'waiting' });
      expect(await registrations('no-updates')).toEqual([]);
    });
  });
});
