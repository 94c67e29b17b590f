import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aciError } from '../../src/launchers/aci/aci-errors';
import { ScalerError } from '../../src/errors/scaler-error';
import { startIdentityEmulator, useIdentityEnv, type IdentityEmulator } from '../identity/identity-emulator';
import { startArmEmulator, type ArmEmulator, type ArmEmulatorOptions, type StartedContainer } from './arm-emulator';
import { capacityUnavailable } from './arm-errors';

// The real ContainerInstanceManagementClient with a managed identity token (identity emulator)
// against the ARM emulator over HTTPS; the test CA is trusted through test/global-setup.ts.

const SUB = '00000000-0000-0000-0000-0000000000a1';
let identity: IdentityEmulator;
let restoreEnv: () => void;
let arm: ArmEmulator;
let client: ContainerInstanceManagementClient;
const agents = new Map<string, { container: StartedContainer; exit(code: number): void; stopped: boolean }>();

beforeAll(async () => {
  identity = await startIdentityEmulator();
  restoreEnv = useIdentityEnv(identity);
  arm = await startArmEmulator({
    // The SDK asks for `${endpoint}/.default`: with the emulator as endpoint, that is its own URL.
    acceptToken: (token) => identity.isValid(token, arm.url),
    provisioningDelay: 30,
    pageSize: 5,
    resourceGroups: ['agents-rg'],
    startAgent: (container) => {
      let exit: (code: number) => void = () => {};
      const exited = new Promise<number>((resolve) => (exit = resolve));
      const agent = { container, exit: (code: number) => exit(code), stopped: false };
      agents.set(container.name, agent);
      return { exited, stop: () => void (agent.stopped = true) };
    },
  });
  client = new ContainerInstanceManagementClient(new ManagedIdentityCredential(), SUB, { endpoint: arm.url, retryOptions: { maxRetries: 0 } });
});

afterAll(async () => {
  await arm?.close();
  await identity?.close();
  restoreEnv?.();
});

const group = (overrides: Partial<ContainerGroup> = {}): ContainerGroup => ({
  location: 'westeurope',
  osType: 'Linux',
  restartPolicy: 'Never',
  tags: { team: 'ci' },
  containers: [
    {
      name: 'agent',
      image: 'myacr.azurecr.io/ado-agent:4',
      resources: { requests: { cpu: 1, memoryInGB: 2 } },
      environmentVariables: [
        { name: 'AZP_POOL', value: 'linux' },
        { name: 'AZP_TOKEN', secureValue: 'pat-secret' },
      ],
    },
  ],
  ...overrides,
});

async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const raw = (path: string, token?: string) => fetch(`${arm.url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
const groupPath = (name: string, rg = 'agents-rg') =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}?api-version=2023-05-01`;

describe('ARM emulator with the real ContainerInstanceManagementClient', () => {
  it('creates through the long-running operation: 201 Pending, Azure-AsyncOperation InProgress, then Succeeded', async () => {
    const created = await client.containerGroups.beginCreateOrUpdateAndWait('agents-rg', 'lro-1', group(), { updateIntervalInMs: 10 });
    expect(created).toMatchObject({ name: 'lro-1', provisioningState: 'Succeeded', tags: { team: 'ci' } });

    const calls = arm.requests().filter((r) => r.path.includes('lro-1') || r.path.includes('/operations/'));
    const put = calls[0]!;
    expect(put).toMatchObject({ method: 'PUT', status: 201 });
    expect(JSON.parse(put.responseBody)).toMatchObject({ properties: { provisioningState: 'Pending', instanceView: { state: 'Pending' } } });
    expect(put.responseHeaders['azure-asyncoperation']).toMatch(
      /\/providers\/Microsoft\.ContainerInstance\/locations\/westeurope\/operations\/[0-9a-f-]+\?api-version=/,
    );
    const polls = calls.filter((r) => r.path.includes('/operations/')).map((r) => (JSON.parse(r.responseBody) as { status: string }).status);
    expect(polls.at(-1)).toBe('Succeeded');
    expect(new Set(polls)).toEqual(new Set(polls.length > 1 ? ['InProgress', 'Succeeded'] : ['Succeeded']));
  });

  it('runs the agent with value and secureValue merged, never echoes the secureValue, and reports exit', async () => {
    await client.containerGroups.beginCreateOrUpdate('agents-rg', 'agent-1', group());
    const agent = await eventually(() => agents.get('agent-1'), 'the agent to start');
    expect(agent.container.env).toEqual({ AZP_POOL: 'linux', AZP_TOKEN: 'pat-secret' });

    const running = await client.containerGroups.get('AGENTS-RG', 'Agent-1');
    expect(running.containers[0]?.instanceView?.currentState).toMatchObject({ state: 'Running', startTime: expect.any(Date) as unknown });
    expect(running.instanceView?.state).toBe('Running');
    expect(running.containers[0]?.environmentVariables).toEqual([{ name: 'AZP_POOL', value: 'linux' }, { name: 'AZP_TOKEN' }]);
    expect(arm.requests().filter((r) => r.responseBody.includes('pat-secret'))).toEqual([]);
    expect(arm.requests().at(-1)?.responseBody).toContain('"memoryInGB":2');

    agent.exit(3);
    const ended = await eventually(async () => {
      const g = await client.containerGroups.get('agents-rg', 'agent-1');
      return g.containers[0]?.instanceView?.currentState?.state === 'Terminated' ? g : undefined;
    }, 'termination');
    expect(ended.containers[0]?.instanceView?.currentState).toMatchObject({ exitCode: 3, finishTime: expect.any(Date) as unknown });
    expect(ended.instanceView?.state).toBe('Failed');
  });

  it('finish() ends a container with its exit code and stops its agent; exit 0 is Succeeded', async () => {
    await client.containerGroups.beginCreateOrUpdate('agents-rg', 'agent-2', group());
    const agent = await eventually(() => agents.get('agent-2'), 'the agent to start');
    arm.finish('agent-2', 0);
    expect(agent.stopped).toBe(true);
    const ended = await client.containerGroups.get('agents-rg', 'agent-2');
    expect(ended.instanceView?.state).toBe('Succeeded');
    expect(ended.containers[0]?.instanceView?.currentState).toMatchObject({ state: 'Terminated', exitCode: 0 });
  });

  it('deletes with 200, then 204 for what is gone, and stops the agent', async () => {
    await client.containerGroups.beginCreateOrUpdate('agents-rg', 'agent-3', group());
    const agent = await eventually(() => agents.get('agent-3'), 'the agent to start');
    await client.containerGroups.beginDeleteAndWait('agents-rg', 'agent-3');
    await client.containerGroups.beginDeleteAndWait('agents-rg', 'agent-3');
    expect(agent.stopped).toBe(true);
    expect(
      arm
        .requests()
        .filter((r) => r.method === 'DELETE' && r.path.endsWith('/agent-3'))
        .map((r) => r.status),
    ).toEqual([200, 204]);
    await expect(client.containerGroups.get('agents-rg', 'agent-3')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });

  it('lists by resource group and subscription in pages by nextLink, without instanceView', async () => {
    await Promise.all(Array.from({ length: 7 }, (_, i) => client.containerGroups.beginCreateOrUpdate('agents-rg', `page-${i}`, group())));
    const listed: ContainerGroup[] = [];
    for await (const g of client.containerGroups.listByResourceGroup('agents-rg')) listed.push(g);
    expect(listed.map((g) => g.name)).toEqual(expect.arrayContaining(Array.from({ length: 7 }, (_, i) => `page-${i}`)));
    expect(listed.length).toBe(arm.groups().length);
    expect(listed.every((g) => g.instanceView === undefined && g.containers.every((c) => c.instanceView === undefined))).toBe(true);
    const pages = arm
      .requests()
      .filter((r) => r.method === 'GET' && r.path.endsWith('/resourceGroups/agents-rg/providers/Microsoft.ContainerInstance/containerGroups'));
    expect(pages.length).toBe(Math.ceil(listed.length / 5));
    expect(pages.slice(1).every((r) => '$skipToken' in r.query)).toBe(true);

    const bySubscription: ContainerGroup[] = [];
    for await (const g of client.containerGroups.list()) bySubscription.push(g);
    expect(bySubscription.length).toBe(listed.length);
  });

  it('answers ARM errors: unknown resource group, missing and foreign tokens', async () => {
    await expect(client.containerGroups.get('no-such-rg', 'x')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
    const anonymous = await raw(groupPath('x'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri=/);
    const foreign = await raw(groupPath('x'), 'not-issued-here');
    expect(await foreign.json()).toEqual({ error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } });
  });

  it('injects 429 with Retry-After and quota errors in ACI words, once per count', async () => {
    arm.injectFault({ status: 429, retryAfterSeconds: 7, count: 1, method: 'PUT' });
    const throttled = await client.containerGroups.beginCreateOrUpdate('agents-rg', 'fault-1', group()).catch((e: unknown) => e);
    expect(throttled).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
    expect(arm.requests().at(-1)?.responseHeaders['retry-after']).toBe('7');

    arm.injectFault({ status: 400, code: 'ContainerGroupQuotaReached', count: 1, pathContains: 'fault-1' });
    const quota = await client.containerGroups.beginCreateOrUpdate('agents-rg', 'fault-1', group()).catch((e: unknown) => e);
    expect(quota).toMatchObject({ statusCode: 400, code: 'ContainerGroupQuotaReached' });
    expect((quota as Error).message).toBe(
      "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region 'westeurope'. Limit: '100', Usage: '100' Requested: '1'.",
    );
    await client.containerGroups.beginCreateOrUpdate('agents-rg', 'fault-1', group());
    expect(arm.groups().map((g) => g.name)).toContain('fault-1');
  });

  it('holds answers and fails calls by the same case-insensitive match as every emulator', async () => {
    await client.containerGroups.beginCreateOrUpdateAndWait('agents-rg', 'hold-1', group());
    const release = arm.holdAnswers('/HOLD-1', 'get');
    let answered = false;
    const held = client.containerGroups.get('agents-rg', 'hold-1').then((g) => ((answered = true), g));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    release();
    expect((await held).name).toBe('hold-1');

    arm.injectFault({ status: 503, count: 1, method: 'get', pathContains: 'HOLD-1' });
    await expect(client.containerGroups.get('agents-rg', 'hold-1')).rejects.toMatchObject({ statusCode: 503, code: 'ServiceUnavailable' });
    expect(arm.requests().at(-1)).toMatchObject({ status: 503, injected: true, headers: { authorization: 'Bearer <token>' } });
  });

  it("accepts a create and fails it afterwards for capacity: 201 Pending, the operation Failed with ACI's event and message, the group Failed", async () => {
    arm.injectProvisioningFailure({ count: 1, nameContains: 'async-1', priority: 'Spot' });
    const failed = await client.containerGroups.beginCreateOrUpdate('agents-rg', 'async-1', group({ priority: 'Spot' })).catch((e: unknown) => e);
    // ACI's failed operation carries no error code, so the SDK's error says only that it failed.
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toBe('The long-running operation has failed');

    const calls = arm
      .requests()
      .filter((r) => r.path.endsWith('/async-1') || r.path.includes('/operations/'))
      .slice(-2);
    expect(calls.map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 201', 'GET 200']);
    expect(JSON.parse(calls[0]!.responseBody)).toMatchObject({ properties: { provisioningState: 'Pending' } });
    const message =
      "The requested resource is not available in the location 'westeurope' at this moment. Please retry with a different resource request or in another location. Resource requested: '1' CPU '2' GB memory 'Linux' OS";
    expect(JSON.parse(calls[1]!.responseBody)).toEqual({
      id: expect.stringMatching(/\/containerGroups\/async-1$/) as unknown,
      status: 'Failed',
      startTime: expect.any(String) as unknown,
      properties: {
        events: [
          {
            count: 1,
            firstTimestamp: expect.any(String) as unknown,
            lastTimestamp: expect.any(String) as unknown,
            name: 'InsufficientCapacity.',
            message,
            type: 'Warning',
          },
        ],
      },
      error: { message },
    });

    const left = await client.containerGroups.get('agents-rg', 'async-1');
    expect(left).toMatchObject({
      provisioningState: 'Failed',
      instanceView: { state: 'Pending', events: [{ name: 'InsufficientCapacity.', message, type: 'Warning' }] },
    });
    expect(agents.has('async-1')).toBe(false);
    // Only the Spot create was to fail: a Regular redeploy of the name comes up.
    await client.containerGroups.beginCreateOrUpdateAndWait('agents-rg', 'async-1', group({ priority: 'Regular' }), { updateIntervalInMs: 10 });
    expect(await client.containerGroups.get('agents-rg', 'async-1')).toMatchObject({ provisioningState: 'Succeeded', instanceView: { events: [] } });
  });

  it("fails a create later than the first poll, in the troubleshooting article's words when asked, with an error code when given one", async () => {
    arm.injectProvisioningFailure({ count: 1, nameContains: 'async-2', after: 200, wording: 'doc', code: 'InsufficientCapacity' });
    const poller = await client.containerGroups.beginCreateOrUpdate('agents-rg', 'async-2', group(), { updateIntervalInMs: 10 });
    expect(poller.getOperationState().status).toBe('running');
    const message =
      "The requested resource with '1' CPU and '2' GB memory is not available in the location 'westeurope' at this moment. Please retry with a different resource request or in another location.";
    await expect(poller.pollUntilDone()).rejects.toThrow(`The long-running operation has failed. InsufficientCapacity. ${message}`);
    expect((await client.containerGroups.get('agents-rg', 'async-2')).provisioningState).toBe('Failed');
    expect(capacityUnavailable('westeurope', 1, 2, 'doc')).toEqual({ status: 409, code: 'ServiceUnavailable', message });
  });

  it('enforces per-region core quotas, Spot apart from Regular', async () => {
    const small = await startArmEmulator({ quotas: { StandardCores: 2, StandardSpotCores: 0 }, provisioningDelay: 5 });
    const c = new ContainerInstanceManagementClient(new ManagedIdentityCredential(), SUB, { endpoint: small.url, retryOptions: { maxRetries: 0 } });
    try {
      await c.containerGroups.beginCreateOrUpdate('rg', 'a', group());
      await c.containerGroups.beginCreateOrUpdate('rg', 'b', group());
      await expect(c.containerGroups.beginCreateOrUpdate('rg', 'c', group())).rejects.toMatchObject({
        statusCode: 400,
        message: expect.stringContaining("quota 'StandardCores' exceeded in region 'westeurope'. Limit: '2', Usage: '2' Requested: '1'") as unknown,
      });
      await expect(c.containerGroups.beginCreateOrUpdate('rg', 'd', group({ priority: 'Spot' }))).rejects.toMatchObject({
        message: expect.stringContaining("quota 'StandardSpotCores'") as unknown,
      });
      small.finish('a', 0); // a terminated group holds no cores
      await c.containerGroups.beginCreateOrUpdate('rg', 'c', group());
    } finally {
      await small.close();
    }
  });
});

describe('ARM emulator latencies and create-rate limit', () => {
  async function withArm(options: ArmEmulatorOptions, run: (c: ContainerInstanceManagementClient, emulator: ArmEmulator) => Promise<void>): Promise<void> {
    const emulator = await startArmEmulator(options);
    try {
      await run(
        new ContainerInstanceManagementClient(new ManagedIdentityCredential(), SUB, { endpoint: emulator.url, retryOptions: { maxRetries: 0 } }),
        emulator,
      );
    } finally {
      await emulator.close();
    }
  }

  it("refuses a new group past the create-rate limit with 429, Retry-After and ACI's words; redeploys pass; the window slides", async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    await withArm({ now: () => now, provisioningDelay: 5, createRateLimit: { count: 2, windowMs: 60_000 } }, async (c, emulator) => {
      await c.containerGroups.beginCreateOrUpdate('rg', 'rate-a', group());
      now += 10_000;
      await c.containerGroups.beginCreateOrUpdate('rg', 'rate-b', group());
      now += 10_000;
      const refused = await c.containerGroups.beginCreateOrUpdate('rg', 'rate-c', group()).catch((e: unknown) => e);
      expect(refused).toMatchObject({ statusCode: 429, code: 'ResourceRequestsThrottled' });
      expect((refused as Error).message).toBe(
        "Number of requests for action 'ContainerGroupCreation' exceeded the limit of '2' for time interval '00:01:00'. Please try again after '0.67' minutes.",
      );
      const answer = emulator.requests().at(-1)!;
      expect(answer).toMatchObject({ method: 'PUT', status: 429 });
      expect(answer.responseHeaders['retry-after']).toBe('40'); // rate-a leaves the window at +60 s
      expect(JSON.parse(answer.responseBody)).toEqual({ error: { code: 'ResourceRequestsThrottled', message: (refused as Error).message } });
      expect(emulator.groups().map((g) => g.name)).toEqual(['rate-a', 'rate-b']);

      // The scaler's launcher sees ARM throttling with ARM's delay, so the queue retries then.
      const classified = aciError(refused, { subscriptionId: SUB, resourceGroup: 'rg', location: 'westeurope' }, 'Creating container group rate-c');
      expect(classified).toBeInstanceOf(ScalerError);
      expect(classified).toMatchObject({ kind: 'throttled', retryAfterMs: 40_000 });

      // A redeploy of an existing name is no create.
      await c.containerGroups.beginCreateOrUpdate('rg', 'rate-a', group({ tags: { team: 'again' } }));
      expect(emulator.groups().find((g) => g.name === 'rate-a')?.restarts).toBe(1);

      now += 39_000; // one second short: still refused, with what is left
      await c.containerGroups.beginCreateOrUpdate('rg', 'rate-c', group()).catch((e: unknown) => e);
      expect(emulator.requests().at(-1)?.responseHeaders['retry-after']).toBe('1');

      now += 1_000; // rate-a has left the window; the refused creates never counted
      await c.containerGroups.beginCreateOrUpdate('rg', 'rate-c', group());
      const next = await c.containerGroups.beginCreateOrUpdate('rg', 'rate-d', group()).catch((e: unknown) => e);
      expect(next).toMatchObject({ statusCode: 429 });
      expect(emulator.requests().at(-1)?.responseHeaders['retry-after']).toBe('10'); // until rate-b leaves
      now += 10_000;
      await c.containerGroups.beginCreateOrUpdate('rg', 'rate-d', group());
      expect(emulator.groups().map((g) => g.name)).toEqual(['rate-a', 'rate-b', 'rate-c', 'rate-d']);
    });
  });

  it('draws each group its own provisioning delay from the injected generator', async () => {
    const draws = [0.99, 0.01]; // the first group waits 495 ms, the second 25 ms
    const running = new Map<string, number>();
    const options: ArmEmulatorOptions = {
      provisioningDelay: { kind: 'uniform', minMs: 20, maxMs: 500 },
      random: () => draws.shift() ?? 0.5,
      startAgent: (container) => {
        running.set(container.name, Date.now() - Date.parse(container.createdAt));
        return { exited: new Promise<number>(() => {}), stop: () => {} };
      },
    };
    await withArm(options, async (c) => {
      await c.containerGroups.beginCreateOrUpdate('rg', 'slow', group());
      await c.containerGroups.beginCreateOrUpdate('rg', 'quick', group());
      await eventually(() => (running.size === 2 ? true : undefined), 'both groups to run');
      // The later group started first: each draws its own delay, and neither starts before it.
      expect([...running.keys()]).toEqual(['quick', 'slow']);
      expect(running.get('slow')).toBeGreaterThanOrEqual(493); // timers may fire a millisecond early
      expect(running.get('quick')).toBeGreaterThanOrEqual(23);
      expect(running.get('quick')).toBeLessThan(running.get('slow')!);
      expect(draws).toEqual([]);
    });
  });
});
