import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityEmulator, type IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { configWithPools, eventually, startScaler, type Scaler } from './scaler-harness';
import { adoRest } from './upkeep-helpers';

// Its own file: MSAL fixes the managed identity endpoint once per process. Every part of a job's
// life with `auth.kind: managedIdentity`: upkeep's placeholders, the webhook, the pass, the agent
// holding an Entra token instead of a PAT, and the janitor after the agent's token ran out.
const ADO_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';
// Real tokens live about an hour and a job may run longer; shrunk so that a job outlives one here.
const TOKEN_LIFETIME_SECONDS = 4;
const LONG_JOB_MS = 6_000;

let identity: IdentityEmulator;
let scaler: Scaler;
const longJobs = new Set<number>();

beforeAll(async () => {
  identity = await startIdentityEmulator({ tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS });
  scaler = await startScaler({
    config: configWithPools(['linux'], { kind: 'managedIdentity' }),
    identity,
    latencies: { jobDuration: (r) => (longJobs.has(r.requestId) ? LONG_JOB_MS : 200) },
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/scheduler.js');
      await import('../../functions/upkeep.js');
    },
  });
  scaler.addConsumers(1, 4);
});

afterAll(async () => {
  await scaler?.close();
  await identity?.close();
});

const adoTokens = () => identity.issued().filter((t) => t.resource.startsWith(ADO_RESOURCE));
/** The scaler's own calls, not the simulated agents'. */
const scalerCalls = () => scaler.stack.ado.requests().filter((r) => !r.userAgent?.startsWith('VstsAgentCore'));
const agentCalls = () => scaler.stack.ado.requests().filter((r) => r.userAgent?.startsWith('VstsAgentCore'));
const registration = (name: string) => adoRest(scaler).agent('linux', name);
const upkeep = () => scaler.host.timers.run('upkeep');

describe('managed identity end to end', () => {
  it('registers the placeholder and serves a job from its event with Entra tokens only, the agent removing its own registration', async () => {
    const { ado } = scaler.stack;
    await upkeep();
    expect((await adoRest(scaler).agents('linux')).map((a) => a.name)).toContain('placeholder-default');

    const job = ado.queueJob({ pool: 'linux' });
    const served = await eventually(() => ado.jobs().find((j) => j.requestId === job.requestId && j.state === 'finished'), 30_000, 'the job to be served');
    expect(served.result).toBe('succeeded');
    await eventually(async () => (await registration(served.agentName!)) === undefined, 10_000, 'the agent to remove its registration');
    expect(agentCalls().some((r) => r.method === 'DELETE' && r.status === 204)).toBe(true);

    expect(adoTokens().length).toBeGreaterThan(0);
    expect(scaler.stack.keyVault.requests()).toEqual([]);
    expect(scalerCalls().filter((r) => r.status === 401)).toEqual([]);
  });

  it("lets a job outlive its agent's token: the job succeeds, the agent cannot deregister, and the janitor removes the registration with a fresh token", async () => {
    const { ado } = scaler.stack;
    const job = ado.queueJob({ pool: 'linux' });
    longJobs.add(job.requestId);
    const started = await eventually(() => ado.jobs().find((j) => j.requestId === job.requestId && j.agentName), 30_000, 'the long job to start');
    const issuedBefore = adoTokens().length;

    const served = await eventually(() => ado.jobs().find((j) => j.requestId === job.requestId && j.state === 'finished'), 30_000, 'the long job to finish');
    expect(served.result).toBe('succeeded');
    // The token the agent was started with ran out during the job: its own removal was refused.
    await eventually(() => agentCalls().some((r) => r.method === 'DELETE' && r.status === 401), 10_000, "the agent's refused deregistration");
    await eventually(() => scaler.stack.containers().find((c) => c.name === started.agentName && c.exitedAt !== undefined), 10_000, 'the agent to exit');
    expect(await registration(started.agentName!)).toBeDefined();

    await upkeep();
    await eventually(
      async () => {
        if ((await registration(started.agentName!)) === undefined) return true;
        await upkeep();
        return false;
      },
      20_000,
      'the janitor to remove the registration',
    );

    // The scaler asked for new tokens rather than reusing the expired one, and never mistook the expiry for a revoked PAT.
    expect(adoTokens().length).toBeGreaterThan(issuedBefore);
    expect(scalerCalls().filter((r) => r.status === 401)).toEqual([]);
    expect(scaler.stack.keyVault.requests()).toEqual([]);
    expect(scaler.logs.filter((l) => /revoked|expired/i.test(l.message))).toEqual([]);
  });
});
