import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../src/config/schema';
import { errorKind, type ScalerError } from '../../src/errors/scaler-error';
import type { AciSettings } from '../../src/launchers/aci/aci-group-spec';
import { createAciLauncher } from '../../src/launchers/aci/aci-launcher';
import { profileAgentName } from '../../src/launchers/agent-name';
import type { AgentSpec, Launcher } from '../../src/launchers/launcher';
import { capacityUnavailable, quotaExceeded } from '../../emulators/arm/arm-errors';
import { startArmEmulator, type ArmEmulator, type StartedContainer } from '../../emulators/arm/arm-emulator';
import type { GroupBody } from '../../emulators/arm/group-shapes';
import { startIdentityEmulator, useIdentityEnv, type IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { startAdoEmulator } from '../../emulators/ado/ado-emulator';
import { startSimulatedAgent } from '../../emulators/agent/simulated-agent';
import { armPatExposures } from '../../emulators/arm/pat-exposures';
import { describeLauncherContract } from './launcher-contract';

// The launcher with the real ARM SDK and a real managed identity credential, against the ARM
// emulator over HTTPS. MSAL fixes the identity endpoint once per process: one identity emulator
// for the whole file, its env set before the first token.

const SUB = '00000000-0000-0000-0000-0000000000c1';
const ORG = 'https://dev.azure.com/fabrikam';
const IDENTITY = `/subscriptions/${SUB}/resourceGroups/id-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/agents`;
let identity: IdentityEmulator;
let restoreEnv: () => void;
let arm: ArmEmulator;
const started: StartedContainer[] = [];

const settings = (overrides: Partial<AciSettings> = {}): AciSettings => ({
  kind: 'aci',
  subscriptionId: SUB,
  resourceGroup: 'agents-rg',
  location: 'westeurope',
  identityId: IDENTITY,
  registry: { server: 'myacr.azurecr.io' },
  spot: false,
  ...overrides,
});
const profileWith = (launcher: AciSettings): ProfileConfig => ({
  name: 'linux-small',
  capabilities: { docker: '', JAVA_HOME: '/usr/lib/jvm/17', 'Agent.OS': 'Linux' },
  agentVersion: '4.255.0',
  image: 'myacr.azurecr.io/ado-agent:4',
  cpu: 1,
  memoryGb: 2,
  maxAgents: 10,
  standby: [],
  launcher,
});
const launcherWith = (s: AciSettings): Launcher => createAciLauncher({ credential: new ManagedIdentityCredential(), settings: s, endpoint: arm.url });

beforeAll(async () => {
  identity = await startIdentityEmulator();
  restoreEnv = useIdentityEnv(identity);
  arm = await startArmEmulator({
    acceptToken: (token) => identity.isValid(token, arm.url),
    provisioningDelay: 50,
    pageSize: 5,
    resourceGroups: ['agents-rg'],
    startAgent: (container) => void started.push(container),
  });
});

afterAll(async () => {
  await arm?.close();
  await identity?.close();
  restoreEnv?.();
});

/** Every captured request/response where `secret` appears outside a secureValue. */
const exposures = (secret: string) => armPatExposures(arm.requests(), secret);

describeLauncherContract('aci', () => {
  const s = settings();
  const client = new ContainerInstanceManagementClient(new ManagedIdentityCredential(), SUB, { endpoint: arm.url });
  return Promise.resolve({
    launcher: launcherWith(s),
    profile: profileWith(s),
    orgUrl: ORG,
    finish: (name, exitCode) => Promise.resolve(arm.finish(name, exitCode)),
    addForeign: async (name) => {
      await client.containerGroups.beginCreateOrUpdate('agents-rg', name, {
        location: 'westeurope',
        osType: 'Linux',
        containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: 1, memoryInGB: 1.5 } } }],
      });
    },
    injectFault: (fault) =>
      arm.injectFault(
        fault === 'throttle'
          ? { status: 429, retryAfterSeconds: 3, count: 1, method: 'PUT' }
          : fault === 'quota'
            ? { status: 400, code: 'ContainerGroupQuotaReached', count: 1, method: 'PUT' }
            : { status: 500, count: 1, method: 'PUT' },
      ),
    patExposures: exposures,
    close: () => Promise.resolve(),
  });
});

describe('ACI launcher specifics', () => {
  let next = 9000;
  const spec = (profile: ProfileConfig, pool = 'linux'): AgentSpec => {
    const n = next++;
    return { name: profileAgentName(ORG, pool, profile.name, n.toString(36).padStart(6, '0')), orgUrl: ORG, pool, profile, pat: `pat-${n}-s3cr3t` };
  };
  const putBodies = (name: string) =>
    arm
      .requests()
      .filter((r) => r.method === 'PUT' && r.path.endsWith(`/${name}`))
      .map((r) => JSON.parse(r.body) as GroupBody);
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as ScalerError,
    );

  it('PUTs a Linux, restartPolicy Never group with the PAT only as a secureValue, identity, registry and tags', async () => {
    const s = spec(profileWith(settings()));
    await launcherWith(settings()).start(s);
    const [body] = putBodies(s.name);
    expect(body).toMatchObject({
      location: 'westeurope',
      identity: { type: 'UserAssigned', userAssignedIdentities: { [IDENTITY]: {} } },
      tags: { 'managed-by': 'ado-agent-scaler', 'ado-org': ORG, 'ado-pool': 'linux', 'ado-profile': 'linux-small' },
      properties: {
        osType: 'Linux',
        restartPolicy: 'Never',
        imageRegistryCredentials: [{ server: 'myacr.azurecr.io', identity: IDENTITY }],
        containers: [{ name: 'agent', properties: { image: 'myacr.azurecr.io/ado-agent:4', resources: { requests: { cpu: 1, memoryInGB: 2 } } } }],
      },
    });
    expect(body?.properties.containers[0]?.properties.environmentVariables).toEqual([
      { name: 'AZP_URL', value: ORG },
      { name: 'AZP_POOL', value: 'linux' },
      { name: 'AZP_AGENT_NAME', value: s.name },
      { name: 'AZP_TOKEN', secureValue: s.pat },
      { name: 'docker', value: '' },
      { name: 'JAVA_HOME', value: '/usr/lib/jvm/17' },
    ]);
    expect(Date.parse(body?.tags?.['created-at'] ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(body?.tags ?? {}).sort()).toEqual(['ado-org', 'ado-pool', 'ado-profile', 'created-at', 'managed-by']);
    expect(body?.properties.priority).toBeUndefined();
    expect(body?.properties.subnetIds).toBeUndefined();
    // The container sees the PAT (the emulated agent gets secureValue merged into its env).
    await expect.poll(() => started.find((c) => c.name === s.name)?.env.AZP_TOKEN).toBe(s.pat);
    expect(exposures('-s3cr3t')).toEqual([]);
  });

  it("tags a container group started for a profile with tags with them, beside the scaler's own (cost per team)", async () => {
    const tags = { team: 'web', costCenter: '1234', 'Cost Center': 'R&D / Web (EU)' };
    const profile = { ...profileWith(settings()), name: 'tagged', tags };
    const s = { ...spec(profile, 'tagged-pool'), standby: true };
    const launcher = launcherWith(settings());
    await launcher.start(s);
    const ours = { 'managed-by': 'ado-agent-scaler', 'ado-org': ORG, 'ado-pool': 'tagged-pool', 'ado-profile': 'tagged', 'ado-standby': 'true' };
    // As ARM got it in the PUT, as the group keeps it, and as a GET through the SDK reads it back.
    const [body] = putBodies(s.name);
    expect(body?.tags).toEqual({ ...tags, ...ours, 'created-at': expect.any(String) as string });
    expect(arm.groups().find((g) => g.name === s.name)?.body.tags).toEqual(body?.tags);
    const client = new ContainerInstanceManagementClient(new ManagedIdentityCredential(), SUB, { endpoint: arm.url });
    expect((await client.containerGroups.get('agents-rg', s.name)).tags).toEqual(body?.tags);
    // The scaler still reads the group as its agent of that pool and profile.
    expect(await launcher.list({ pool: 'tagged-pool', profile: 'tagged' })).toEqual([
      expect.objectContaining({ name: s.name, pool: 'tagged-pool', profile: 'tagged', standby: true }),
    ]);
    expect(exposures('-s3cr3t')).toEqual([]);
  });

  it('is refused by ARM for a tag name the configuration would refuse (InvalidTagNameCharacters), permanently', async () => {
    // The configuration refuses such a profile at load time; this is what it would meet otherwise.
    const profile = { ...profileWith(settings()), tags: { 'team/area': 'web' } };
    const error = await failure(launcherWith(settings()).start(spec(profile)));
    expect(error).toMatchObject({ kind: 'permanent' });
    expect(error?.message).toContain("The tag names 'team/area' have reserved characters");
  });

  it('joins the subnet when one is set', async () => {
    const s = spec(profileWith(settings({ subnetId: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/aci` })));
    await launcherWith(s.profile.launcher as AciSettings).start(s);
    expect(putBodies(s.name)[0]?.properties.subnetIds).toEqual([
      { id: `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/aci` },
    ]);
  });

  it.each([
    ['Spot quota', quotaExceeded('StandardSpotCores', 'westeurope', 10, 10, 1)],
    ['Spot capacity', capacityUnavailable('westeurope', 1, 2)],
  ])('falls back from Spot to Regular once on %s', async (_what, refusal) => {
    const spot = settings({ spot: 'preferred', registry: undefined });
    const s = spec(profileWith(spot));
    arm.injectFault({ status: refusal.status, code: refusal.code, message: refusal.message, count: 1, pathContains: s.name, method: 'PUT' });
    expect(await launcherWith(spot).start(s)).toEqual({ name: s.name, outcome: 'created' });
    expect(putBodies(s.name).map((b) => b.properties.priority)).toEqual(['Spot', 'Regular']);
  });

  it.each([
    ['the service', 'service'],
    ['the troubleshooting article', 'doc'],
  ] as const)(
    "falls back from Spot to Regular when ACI accepts the Spot create and then fails it for capacity (%s's words), removing the failed group first",
    async (_what, wording) => {
      const spot = settings({ spot: 'preferred', registry: undefined });
      const s = spec(profileWith(spot));
      arm.injectProvisioningFailure({ count: 1, nameContains: s.name, priority: 'Spot', wording });
      expect(await launcherWith(spot).start(s)).toEqual({ name: s.name, outcome: 'created' });
      expect(putBodies(s.name).map((b) => b.properties.priority)).toEqual(['Spot', 'Regular']);
      const calls = arm
        .requests()
        .filter((r) => r.path.endsWith(`/${s.name}`))
        .map((r) => `${r.method} ${r.status}`);
      expect(calls).toEqual(['GET 404', 'PUT 201', 'DELETE 200', 'PUT 201']);
      await expect.poll(() => arm.groups().find((g) => g.name === s.name)?.provisioningState).toBe('Succeeded');
      expect(arm.groups().find((g) => g.name === s.name)?.body.properties.priority).toBe('Regular');
    },
  );

  it("falls back from Spot to Regular on a 409 in the troubleshooting article's words, and reports a Regular one as no capacity", async () => {
    const refusal = capacityUnavailable('westeurope', 1, 2, 'doc');
    const spot = settings({ spot: 'preferred', registry: undefined });
    const s = spec(profileWith(spot));
    arm.injectFault({ status: refusal.status, code: refusal.code, message: refusal.message, count: 1, pathContains: s.name, method: 'PUT' });
    expect(await launcherWith(spot).start(s)).toEqual({ name: s.name, outcome: 'created' });
    expect(putBodies(s.name).map((b) => b.properties.priority)).toEqual(['Spot', 'Regular']);

    const regular = spec(profileWith(settings()));
    arm.injectFault({ status: refusal.status, code: refusal.code, message: refusal.message, count: 1, pathContains: regular.name, method: 'PUT' });
    const error = await failure(launcherWith(settings()).start(regular));
    expect(error).toMatchObject({ kind: 'throttled', retryAfterMs: 60_000 });
    expect(error?.message).toContain('no capacity for this size in westeurope');
  });

  it('reports a Regular create that ACI fails after accepting it as no capacity (throttled), and leaves no failed group behind', async () => {
    const s = spec(profileWith(settings()));
    arm.injectProvisioningFailure({ count: 1, nameContains: s.name });
    const error = await failure(launcherWith(settings()).start(s));
    expect(error).toMatchObject({ kind: 'throttled', retryAfterMs: 60_000 });
    expect(error?.message).toContain("no capacity for this size in westeurope right now (The requested resource is not available in the location 'westeurope'");
    expect(arm.groups().find((g) => g.name === s.name)).toBeUndefined();
    expect(exposures('-s3cr3t')).toEqual([]);
  });

  it('does not take a group whose create failed after the first poll for a starting agent: the next start of that name creates it anew', async () => {
    const s = spec(profileWith(settings()));
    arm.injectProvisioningFailure({ count: 1, nameContains: s.name, after: 100 });
    const launcher = launcherWith(settings());
    expect(await launcher.start(s)).toEqual({ name: s.name, outcome: 'created' });
    await expect.poll(() => arm.groups().find((g) => g.name === s.name)?.provisioningState).toBe('Failed');
    expect(await launcher.status(s.name)).toMatchObject({ phase: 'finished' });
    expect(await launcher.start(s)).toEqual({ name: s.name, outcome: 'created' });
    await expect.poll(() => arm.groups().find((g) => g.name === s.name)?.provisioningState).toBe('Succeeded');
    expect(putBodies(s.name)).toHaveLength(2);
  });

  describe('Spot policy', () => {
    /** A launcher whose clock the test moves (for the time Spot counts as short). */
    const withClock = (s: AciSettings) => {
      let offsetMs = 0;
      const launcher = createAciLauncher({
        credential: new ManagedIdentityCredential(),
        settings: s,
        endpoint: arm.url,
        now: () => Date.now() + offsetMs,
      });
      return { launcher, later: (ms: number) => void (offsetMs += ms) };
    };
    const priorities = (name: string) => putBodies(name).map((b) => b.properties.priority);
    const required = settings({ spot: 'required', registry: undefined });
    const preferred = settings({ spot: 'preferred', registry: undefined });

    it.each([
      [
        'refused on the PUT (409)',
        (name: string) => arm.injectFault({ ...capacityUnavailable('westeurope', 1, 2), count: 1, pathContains: name, method: 'PUT' }),
      ],
      ['failed after ARM accepted it', (name: string) => arm.injectProvisioningFailure({ count: 1, nameContains: name, priority: 'Spot', wording: 'doc' })],
    ])(
      '"required" does not fall back when Spot has no capacity (%s): it waits, says why, and starts Spot again once the wait is over',
      async (_how, noCapacity) => {
        const { launcher, later } = withClock(required);
        const first = spec(profileWith(required));
        noCapacity(first.name);
        const error = await failure(launcher.start(first));
        expect(error).toMatchObject({ kind: 'throttled', retryAfterMs: 60_000 });
        expect(error?.message).toMatch(
          /^Profile "linux-small" waits for Spot in westeurope \(spot: "required"; no Spot capacity for this size: The requested resource .*is not available in the location 'westeurope'.*\); Spot is tried again from .*Set "spot": "preferred" to run on Regular meanwhile\.$/,
        );
        expect(priorities(first.name)).toEqual(['Spot']);
        expect(arm.groups().find((g) => g.name === first.name)).toBeUndefined();

        // Meanwhile a start asks ARM nothing: it would only fail again.
        const meanwhile = spec(profileWith(required));
        const before = arm.requests().length;
        expect(await failure(launcher.start(meanwhile))).toMatchObject({ kind: 'throttled' });
        expect(
          arm
            .requests()
            .slice(before)
            .filter((r) => r.method === 'PUT'),
        ).toEqual([]);

        later(60_000);
        const again = spec(profileWith(required));
        expect(await launcher.start(again)).toEqual({ name: again.name, outcome: 'created' });
        expect(priorities(again.name)).toEqual(['Spot']);
        expect(exposures('-s3cr3t')).toEqual([]);
      },
    );

    it('"required" waits on the Spot cores quota too, saying so', async () => {
      const s = spec(profileWith(required));
      const quota = quotaExceeded('StandardSpotCores', 'westeurope', 10, 10, 1);
      arm.injectFault({ ...quota, count: 1, pathContains: s.name, method: 'PUT' });
      const error = await failure(launcherWith(required).start(s));
      expect(error).toMatchObject({ kind: 'throttled', retryAfterMs: 60_000 });
      expect(error?.message).toContain(
        "the Spot cores quota is used up: Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardSpotCores' exceeded",
      );
      expect(priorities(s.name)).toEqual(['Spot']);
    });

    it('learns from a Spot group ACI failed after the first poll: "preferred" starts the next agents as Regular for a while, "required" waits', async () => {
      for (const [policy, s] of [
        ['preferred', preferred],
        ['required', required],
      ] as const) {
        const { launcher, later } = withClock(s);
        const profile = { ...profileWith(s), name: `late-${policy}` };
        const first = spec(profile, `late-${policy}`);
        arm.injectProvisioningFailure({ count: 1, nameContains: first.name, priority: 'Spot', after: 100 });
        expect(await launcher.start(first)).toEqual({ name: first.name, outcome: 'created' });
        await expect.poll(() => arm.groups().find((g) => g.name === first.name)?.provisioningState).toBe('Failed');
        // The scheduler's next pass lists the pool: the failed group is finished, and says why.
        expect(await launcher.list({ pool: `late-${policy}` })).toEqual([expect.objectContaining({ name: first.name, phase: 'finished' })]);

        const next = spec(profile, `late-${policy}`);
        if (policy === 'preferred') {
          expect(await launcher.start(next)).toEqual({ name: next.name, outcome: 'created' });
          expect(priorities(next.name)).toEqual(['Regular']);
        } else {
          expect(await failure(launcher.start(next))).toMatchObject({ kind: 'throttled', message: expect.stringContaining('spot: "required"') as unknown });
          expect(priorities(next.name)).toEqual([]);
        }
        later(60_000);
        const after = spec(profile, `late-${policy}`);
        await launcher.start(after);
        expect(priorities(after.name)).toEqual(['Spot']);
      }
    });
  });

  it('makes one GET, one PUT and one operation poll per start', async () => {
    const s = spec(profileWith(settings()));
    const before = arm.requests().length;
    await launcherWith(settings()).start(s);
    expect(
      arm
        .requests()
        .slice(before)
        .map((r) => `${r.method} ${r.status} ${r.path.includes('/operations/') ? 'operation' : 'group'}`),
    ).toEqual(['GET 404 group', 'PUT 201 group', 'GET 200 operation']);
  });

  it('lists across pages and GETs each provisioned group only until it is known finished', async () => {
    const profile = { ...profileWith(settings()), name: 'paging' };
    const launcher = launcherWith(settings());
    const specs = Array.from({ length: 7 }, () => spec(profile, 'paging-pool'));
    for (const s of specs) await launcher.start(s);
    for (const s of specs) arm.finish(s.name, 0);
    const listed = await launcher.list({ pool: 'paging-pool' });
    expect(listed.map((a) => a.name).sort()).toEqual(specs.map((s) => s.name).sort());
    expect(listed.every((a) => a.phase === 'finished' && a.exitCode === 0)).toBe(true);
    expect(arm.groups().length).toBeGreaterThan(5); // more than one page of 5

    const before = arm.requests().length;
    await launcher.list({ pool: 'paging-pool' });
    const calls = arm.requests().slice(before);
    expect(calls.every((r) => r.method === 'GET' && r.path.endsWith('/containerGroups'))).toBe(true);
    expect(calls.length).toBe(Math.ceil(arm.groups().length / 5));
  });

  it('says which quota ran out and what to do, and waits a minute', async () => {
    const s = spec(profileWith(settings()));
    arm.injectFault({ status: 400, code: 'ContainerGroupQuotaReached', count: 1, method: 'PUT' });
    const error = await failure(launcherWith(settings()).start(s));
    expect(errorKind(error)).toBe('throttled');
    expect(error?.retryAfterMs).toBe(60_000);
    expect(error?.message).toContain("Azure Container Instances quota 'StandardCores' is used up in westeurope");
    expect(error?.message).toContain('Request more quota');
    expect(error?.message).toContain('lower maxAgents of profile "linux-small"');
  });

  it('waits as long as Retry-After says on 429', async () => {
    arm.injectFault({ status: 429, retryAfterSeconds: 42, count: 1, method: 'GET' });
    const error = await failure(launcherWith(settings()).start(spec(profileWith(settings()))));
    expect(error).toMatchObject({ kind: 'throttled', retryAfterMs: 42_000 });
  });

  it('fails permanently, naming the scope and the roles, on 403 and on a missing resource group', async () => {
    arm.injectFault({ status: 403, code: 'AuthorizationFailed', count: 1, method: 'PUT' });
    const denied = await failure(launcherWith(settings()).start(spec(profileWith(settings()))));
    expect(denied).toMatchObject({ kind: 'permanent' });
    expect(denied?.message).toMatch(/resource group "agents-rg" of subscription .*Azure Container Instances Contributor.*Managed Identity Operator/);

    const missing = settings({ resourceGroup: 'missing-rg' });
    const gone = await failure(launcherWith(missing).start(spec(profileWith(missing))));
    expect(gone).toMatchObject({ kind: 'permanent' });
    expect(gone?.message).toContain('resource group "missing-rg"');
  });

  it('refuses a name taken by a container group it did not start, and a registry without identity', async () => {
    const s = spec(profileWith(settings()));
    const client = new ContainerInstanceManagementClient(new ManagedIdentityCredential(), SUB, { endpoint: arm.url });
    await client.containerGroups.beginCreateOrUpdate('agents-rg', s.name, {
      location: 'westeurope',
      osType: 'Linux',
      containers: [{ name: 'x', image: 'nginx', resources: { requests: { cpu: 1, memoryInGB: 1 } } }],
    });
    expect(await failure(launcherWith(settings()).start(s))).toMatchObject({ kind: 'permanent' });

    const noIdentity = settings({ identityId: undefined });
    expect(await failure(launcherWith(noIdentity).start(spec(profileWith(noIdentity))))).toMatchObject({ kind: 'permanent' });
  });
});

describe('ACI launcher with a simulated agent in the container', () => {
  it('starts an agent that takes its job, finishes it and exits 0, and fails transiently when ARM is unreachable', async () => {
    const ado = await startAdoEmulator({ organizations: [{ name: 'fabrikam', pools: ['linux'] }], tokens: ['scenario-pat'] });
    const withAgents = await startArmEmulator({
      acceptToken: (token) => identity.isValid(token, withAgents.url),
      provisioningDelay: 20,
      startAgent: (container) => startSimulatedAgent({ env: container.env, jobDuration: 50, pollMs: 10 }),
    });
    try {
      const launcher = createAciLauncher({ credential: new ManagedIdentityCredential(), settings: settings(), endpoint: withAgents.url });
      const { requestId } = ado.queueJob({ pool: 'linux', demands: ['docker', 'JAVA_HOME'] });
      const orgUrl = ado.orgUrl('fabrikam');
      const profile = profileWith(settings());
      const name = profileAgentName(orgUrl, 'linux', profile.name);
      await launcher.start({ name, orgUrl, pool: 'linux', profile, pat: 'scenario-pat' });

      await expect.poll(async () => (await launcher.status(name))?.phase, { timeout: 10_000 }).toBe('finished');
      expect(await launcher.status(name)).toMatchObject({ exitCode: 0, pool: 'linux', profile: profile.name });
      expect(ado.jobs().find((j) => j.requestId === requestId)).toMatchObject({ state: 'finished', agentName: name });
      await launcher.delete(name);
      expect(await launcher.list()).toEqual([]);
    } finally {
      await withAgents.close();
      await ado.close();
    }
    const unreachable = createAciLauncher({ credential: new ManagedIdentityCredential(), settings: settings(), endpoint: withAgents.url });
    const error = await unreachable.status('anything').catch((e: unknown) => e);
    expect(errorKind(error)).toBe('transient');
  });
});
