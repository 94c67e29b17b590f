import { ManagedIdentityCredential, type AccessToken, type TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileConfig } from '../../src/config/schema';
import { errorKind, type ScalerError } from '../../src/errors/scaler-error';
import { profileAgentName } from '../../src/launchers/agent-name';
import { createAksApi, AKS_SERVER_SCOPE } from '../../src/launchers/aks/aks-client';
import { createAksLauncher } from '../../src/launchers/aks/aks-launcher';
import type { AksSettings } from '../../src/launchers/aks/aks-manifest';
import { LABELS, MANAGED_BY, type AgentSpec, type Launcher } from '../../src/launchers/launcher';
import { startAdoEmulator } from '../../emulators/ado/ado-emulator';
import { startSimulatedAgent } from '../../emulators/agent/simulated-agent';
import { startIdentityEmulator, useIdentityEnv, type IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../emulators/kubernetes/kubernetes-emulator';
import { patExposures } from '../../emulators/kubernetes/pat-exposures';
import { jobBody, rawClient } from '../../emulators/kubernetes/raw-client';
import { testTls } from '../../emulators/core/test-ca';
import { describeLauncherContract, type LauncherUnderTest } from './launcher-contract';

// The launcher with the real client-node and a real managed identity credential, against the
// Kubernetes emulator over HTTPS. MSAL fixes the identity endpoint once per process: one
// identity emulator for the file, its env set before the first token.

const NS = 'ado-agents';
// The legacy virtual node's contract run gets its own namespace: listings stay apart.
const LEGACY_NS = 'ado-agents-legacy';
const ORG = 'https://dev.azure.com/fabrikam';
const AKS_RESOURCE = AKS_SERVER_SCOPE.replace(/\/\.default$/, '');
const FOREIGN_TOKEN = 'someone-elses-kubeconfig-token';
let identity: IdentityEmulator;
let restoreEnv: () => void;
let k8s: KubernetesEmulator;
const warnings: string[] = [];

const settings = (overrides: Partial<AksSettings> = {}): AksSettings => ({
  kind: 'aksVirtualNode',
  apiServer: k8s.url,
  namespace: NS,
  virtualNode: 'v2',
  ...overrides,
});
const profileWith = (launcher: AksSettings, name = 'linux-small'): ProfileConfig => ({
  name,
  capabilities: { docker: '', JAVA_HOME: '/usr/lib/jvm/17', 'Agent.OS': 'Linux', 'has space': 'x', azp_token: 'no' },
  agentVersion: '4.255.0',
  image: 'myacr.azurecr.io/ado-agent:4',
  cpu: 1.5,
  memoryGb: 3,
  maxAgents: 10,
  standby: [],
  launcher,
});
const launcherWith = (s: AksSettings, credential: TokenCredential = new ManagedIdentityCredential(), apiServer = k8s.url) =>
  createAksLauncher({ credential, apiServer, settings: s, log: { info: () => {}, warn: (m: string) => void warnings.push(m), error: () => {} } });
let next = 9000;
const spec = (profile: ProfileConfig, overrides: Partial<AgentSpec> = {}): AgentSpec => {
  const n = next++;
  const pool = overrides.pool ?? 'linux';
  return { name: profileAgentName(ORG, pool, profile.name, n.toString(36).padStart(6, '0')), orgUrl: ORG, pool, profile, pat: `pat-${n}-s3cr3t`, ...overrides };
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ScalerError,
  );

beforeAll(async () => {
  identity = await startIdentityEmulator();
  restoreEnv = useIdentityEnv(identity);
  k8s = await startKubernetesEmulator({
    acceptToken: (token) => token === FOREIGN_TOKEN || identity.isValid(token, AKS_RESOURCE),
    namespaces: [NS, LEGACY_NS],
  });
});

afterAll(async () => {
  await k8s?.close();
  await identity?.close();
  restoreEnv?.();
});

const contractOn = (virtualNode: AksSettings['virtualNode'], namespace: string) => async (): Promise<LauncherUnderTest> => {
  const s = settings({ virtualNode, namespace });
  return {
    launcher: await launcherWith(s),
    profile: profileWith(s, `linux-${virtualNode}`),
    orgUrl: ORG,
    // The emulator's legacy node reports pods as the ACI connector does: no exit codes.
    failuresWithoutExitCode: virtualNode === 'legacy',
    finish: (name, exitCode) => Promise.resolve(k8s.finish(name, exitCode)),
    addForeign: async (name) => void (await rawClient(k8s.url, FOREIGN_TOKEN)('POST', `/apis/batch/v1/namespaces/${namespace}/jobs`, jobBody(name))),
    injectFault: (fault) =>
      k8s.injectFault(
        fault === 'throttle'
          ? { status: 429, retryAfterSeconds: 3, count: 1, method: 'POST', pathContains: '/jobs' }
          : fault === 'quota'
            ? {
                status: 403,
                message:
                  'jobs.batch "x" is forbidden: exceeded quota: agents, requested: count/jobs.batch=1, used: count/jobs.batch=20, limited: count/jobs.batch=20',
                count: 1,
                method: 'POST',
                pathContains: '/jobs',
              }
            : { status: 503, count: 1, method: 'POST', pathContains: '/jobs' },
      ),
    patExposures: (pat) => patExposures(k8s.requests(), pat),
    close: () => Promise.resolve(),
  };
};
describeLauncherContract('aksVirtualNode (virtual nodes v2)', contractOn('v2', NS));
describeLauncherContract('aksVirtualNode (legacy virtual node, ACI connector)', contractOn('legacy', LEGACY_NS));

describe('AKS launcher', () => {
  let launcher: Launcher;
  beforeAll(async () => {
    launcher = await launcherWith(settings());
  });
  const jobOf = (name: string) => k8s.jobs(NS).find((j) => j.metadata.name === name);
  const secretOf = (name: string) => k8s.secrets(NS).find((s) => s.metadata.name === `${name}-token`);

  it('starts a Job a virtual node runs once, with the PAT only through a secretKeyRef', async () => {
    const s = spec(profileWith(settings()));
    await launcher.start(s);
    const job = jobOf(s.name)!;
    expect(job.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 3600 });
    const pod = job.spec.template.spec;
    expect(pod).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      nodeSelector: { virtualization: 'virtualnode2', 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]).toMatchObject({
      name: 'agent',
      image: 'myacr.azurecr.io/ado-agent:4',
      resources: { requests: { cpu: '1500m', memory: '3Gi' }, limits: { cpu: '1500m', memory: '3Gi' } },
    });
    expect(pod.containers[0]?.env).toEqual([
      { name: 'AZP_URL', value: ORG },
      { name: 'AZP_POOL', value: 'linux' },
      { name: 'AZP_AGENT_NAME', value: s.name },
      { name: 'AZP_TOKEN', valueFrom: { secretKeyRef: { name: `${s.name}-token`, key: 'token' } } },
      { name: 'docker', value: '' },
      { name: 'JAVA_HOME', value: '/usr/lib/jvm/17' },
    ]);
    await expect.poll(() => k8s.pods(NS).find((p) => p.metadata.labels?.['job-name'] === s.name)?.spec.nodeName).toBe('virtualnode-0');
    expect(secretOf(s.name)?.data).toEqual({ token: Buffer.from(s.pat).toString('base64') });
  });

  it('places legacy virtual node pods with the add-on selector and tolerations', async () => {
    const legacy = settings({ virtualNode: 'legacy' });
    const s = spec(profileWith(legacy));
    await (await launcherWith(legacy)).start(s);
    expect(jobOf(s.name)?.spec.template.spec).toMatchObject({
      nodeSelector: { type: 'virtual-kubelet', 'kubernetes.io/role': 'agent', 'kubernetes.io/os': 'linux' },
      tolerations: [
        { key: 'virtual-kubelet.io/provider', operator: 'Exists' },
        { key: 'azure.com/aci', effect: 'NoSchedule' },
      ],
    });
    await expect.poll(() => k8s.pods(NS).find((p) => p.metadata.labels?.['job-name'] === s.name)?.spec.nodeName).toBe('virtual-node-aci-linux');
  });

  it('labels Job, pod and Secret with the ACI tag keys, exact org and pool in annotations', async () => {
    const s = spec(profileWith(settings()), { pool: 'Linux Pool' });
    await launcher.start(s);
    const labels = jobOf(s.name)?.metadata.labels ?? {};
    // Every key but the standby mark, which only agents started for standby carry.
    expect(Object.keys(labels).sort()).toEqual([MANAGED_BY.key, ...Object.values(LABELS).filter((k) => k !== LABELS.standby)].sort());
    expect(labels).toMatchObject({ [MANAGED_BY.key]: MANAGED_BY.value, [LABELS.profile]: 'linux-small' });
    expect(labels[LABELS.createdAt]).toMatch(/^\d{8}T\d{6}Z$/);
    expect(labels[LABELS.pool]).toMatch(/^linux-pool-[0-9a-f]{10}$/);
    expect(jobOf(s.name)?.metadata.annotations).toEqual({ [LABELS.org]: ORG, [LABELS.pool]: 'Linux Pool' });
    expect(secretOf(s.name)?.metadata.labels).toEqual(labels);
    expect(k8s.pods(NS).find((p) => p.metadata.labels?.['job-name'] === s.name)?.metadata.labels).toMatchObject(labels);
    expect((await launcher.list({ pool: 'linux pool' })).map((a) => [a.name, a.pool, a.orgUrl])).toEqual([[s.name, 'Linux Pool', ORG]]);
  });

  it("labels Job and pod with the profile's tags beside its own, and on v2 asks the virtual node to tag the container group with them (cost per team)", async () => {
    const tags = { team: 'web', costCenter: '1234', 'cost.area': 'R_D-eu' };
    const profile = { ...profileWith(settings(), 'tagged'), tags };
    const s = spec(profile, { pool: 'Tagged Pool', standby: true });
    await launcher.start(s);
    const job = jobOf(s.name)!;
    expect(job.metadata.labels).toEqual({
      ...tags,
      [MANAGED_BY.key]: MANAGED_BY.value,
      [LABELS.org]: expect.stringMatching(/^https-dev-azure-com-fabrikam-[0-9a-f]{10}$/) as string,
      [LABELS.pool]: expect.stringMatching(/^tagged-pool-[0-9a-f]{10}$/) as string,
      [LABELS.profile]: 'tagged',
      [LABELS.standby]: 'true',
      [LABELS.createdAt]: expect.stringMatching(/^\d{8}T\d{6}Z$/) as string,
    });
    // The pod, as the Job controller made it from the template: our labels, the tags, Kubernetes' own.
    await expect.poll(() => k8s.pods(NS).find((p) => p.metadata.labels?.['job-name'] === s.name)).toBeDefined();
    const pod = k8s.pods(NS).find((p) => p.metadata.labels?.['job-name'] === s.name)!;
    expect(pod.metadata.labels).toEqual({
      ...job.metadata.labels,
      'job-name': s.name,
      'controller-uid': job.metadata.uid,
      'batch.kubernetes.io/job-name': s.name,
      'batch.kubernetes.io/controller-uid': job.metadata.uid,
    });
    // Virtual nodes v2 turn this pod annotation into the ARM tags of the container group behind the pod.
    expect(pod.metadata.annotations).toEqual({
      [LABELS.org]: ORG,
      [LABELS.pool]: 'Tagged Pool',
      'microsoft.containerinstance.virtualnode.customtags': `team=web;costCenter=1234;cost.area=R_D-eu;ado-pool=${job.metadata.labels?.[LABELS.pool]};ado-profile=tagged`,
    });
    expect(job.metadata.annotations).toEqual({ [LABELS.org]: ORG, [LABELS.pool]: 'Tagged Pool' });
    expect(await launcher.list({ pool: 'tagged pool', profile: 'tagged' })).toEqual([
      expect.objectContaining({ name: s.name, pool: 'Tagged Pool', profile: 'tagged', standby: true }),
    ]);

    // The legacy virtual node reads no such annotation (its ACI connector tags groups with pod name, namespace and the like).
    const legacy = settings({ virtualNode: 'legacy', namespace: LEGACY_NS });
    const old = spec({ ...profileWith(legacy, 'tagged'), tags });
    await (await launcherWith(legacy)).start(old);
    const legacyJob = k8s.jobs(LEGACY_NS).find((j) => j.metadata.name === old.name)!;
    expect(legacyJob.spec.template.metadata?.labels).toMatchObject(tags);
    expect(legacyJob.spec.template.metadata?.annotations).toEqual({ [LABELS.org]: ORG, [LABELS.pool]: 'linux' });
  });

  it('is refused by the API server for a tag the configuration refuses on AKS profiles (not a label value)', async () => {
    // Valid as an Azure tag; the configuration refuses it for an AKS profile at load time, this is why.
    const s = spec({ ...profileWith(settings()), tags: { team: 'R&D web' } });
    const error = await failure(launcher.start(s));
    expect(error).toMatchObject({ kind: 'permanent' });
    expect(error?.message).toContain('Invalid value: "R&D web"');
    expect(secretOf(s.name)).toBeUndefined();
  });

  it('makes the Job own its Secret, so both go on delete (Background propagation)', async () => {
    const s = spec(profileWith(settings()));
    await launcher.start(s);
    expect(secretOf(s.name)?.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: s.name, uid: jobOf(s.name)?.metadata.uid }]);
    await launcher.delete(s.name);
    expect(
      k8s
        .requests()
        .filter((r) => r.method === 'DELETE' && r.path.endsWith(`/jobs/${s.name}`))
        .map((r) => r.query),
    ).toEqual([{ propagationPolicy: 'Background' }]);
    await expect
      .poll(() => [jobOf(s.name), secretOf(s.name), k8s.pods(NS).find((p) => p.metadata.labels?.['job-name'] === s.name)])
      .toEqual([undefined, undefined, undefined]);
  });

  it('repairs the owner of a Secret on a repeated start, and refreshes a Secret an earlier attempt left', async () => {
    const s = spec(profileWith(settings()));
    k8s.injectFault({ status: 500, count: 1, method: 'PATCH', pathContains: '/secrets' });
    expect(await launcher.start(s)).toEqual({ name: s.name, outcome: 'created' });
    expect(secretOf(s.name)?.metadata.ownerReferences).toBeUndefined();
    expect(warnings.join('\n')).toContain(`Secret ${s.name}-token`);
    expect(await launcher.start(s)).toEqual({ name: s.name, outcome: 'exists' });
    expect(secretOf(s.name)?.metadata.ownerReferences?.[0]?.uid).toBe(jobOf(s.name)?.metadata.uid);

    const left = spec(profileWith(settings()));
    await rawClient(k8s.url, FOREIGN_TOKEN)('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: `${left.name}-token` },
      stringData: { token: 'rotated-away' },
    });
    await launcher.start(left);
    expect(secretOf(left.name)?.data).toEqual({ token: Buffer.from(left.pat).toString('base64') });
    expect(secretOf(left.name)?.metadata.ownerReferences?.[0]?.uid).toBe(jobOf(left.name)?.metadata.uid);
  });

  it('leaves no Secret when the Job cannot be created, and refuses a foreign Job of the same name', async () => {
    const s = spec(profileWith(settings()));
    k8s.injectFault({ status: 500, count: 1, method: 'POST', pathContains: '/jobs' });
    expect(errorKind(await failure(launcher.start(s)))).toBe('transient');
    expect(secretOf(s.name)).toBeUndefined();

    const taken = spec(profileWith(settings()));
    await rawClient(k8s.url, FOREIGN_TOKEN)('POST', `/apis/batch/v1/namespaces/${NS}/jobs`, jobBody(taken.name));
    expect(await failure(launcher.start(taken))).toMatchObject({ kind: 'permanent', message: expect.stringContaining('did not start') as string });
  });

  it('names the namespace and the role to grant when forbidden, and the namespace when it is missing', async () => {
    k8s.injectFault({ status: 403, count: 1, method: 'POST', pathContains: '/secrets' });
    const forbidden = await failure(launcher.start(spec(profileWith(settings()))));
    expect(forbidden).toMatchObject({ kind: 'permanent', details: { status: 403 } });
    expect(forbidden?.message).toMatch(/namespace "ado-agents".*Azure Kubernetes Service RBAC Writer/s);

    const elsewhere = settings({ namespace: 'missing' });
    const missing = await failure((await launcherWith(elsewhere)).start(spec(profileWith(elsewhere))));
    expect(missing).toMatchObject({ kind: 'permanent', message: expect.stringContaining('kubectl create namespace missing') as string });
  });

  it('renews a token that nears expiry, retries once on 401, then fails permanently', async () => {
    const issued: string[] = [];
    const credential = (lifetimeMs: number, valid = true): TokenCredential => ({
      getToken: async (scope): Promise<AccessToken> => {
        const real = await new ManagedIdentityCredential().getToken(scope);
        const token = valid ? real.token : `revoked-${issued.length}`;
        issued.push(token);
        return { token, expiresOnTimestamp: Date.now() + lifetimeMs };
      },
    });
    const hourly = await launcherWith(settings(), credential(3_600_000));
    await hourly.list();
    await hourly.list();
    expect(issued).toHaveLength(1);
    issued.length = 0;
    const nearlyExpired = await launcherWith(settings(), credential(60_000)); // inside the 5-minute renewal window
    const calls = k8s.requests().length;
    await nearlyExpired.list();
    await nearlyExpired.list();
    expect(issued.length).toBe(k8s.requests().length - calls); // a fresh token for every call

    issued.length = 0;
    const before = k8s.requests().length;
    const error = await failure((await launcherWith(settings(), credential(3_600_000, false))).status('anything'));
    expect(error).toMatchObject({ kind: 'permanent', details: { status: 401 } });
    expect([issued.length, k8s.requests().length - before]).toEqual([2, 2]);
  });

  it('trusts the cluster CA given as caCert, not only NODE_EXTRA_CA_CERTS', async () => {
    const own = await startKubernetesEmulator({ tls: await testTls(''), namespaces: [NS] }); // a CA this process does not trust
    try {
      const s = settings({ apiServer: own.url });
      const api = await createAksApi({ credential: new ManagedIdentityCredential(), apiServer: own.url, caCert: own.caPem });
      expect((await api.batch.listNamespacedJob({ namespace: NS })).items).toEqual([]);
      expect(errorKind(await failure((await launcherWith(s, undefined, own.url)).list()))).toBe('transient');
    } finally {
      await own.close();
    }
  });
});

describe('AKS launcher with a simulated agent in the pod', () => {
  it('starts an agent that registers with the PAT from the Secret, takes its job and exits 0', async () => {
    const ado = await startAdoEmulator({ organizations: [{ name: 'fabrikam', pools: ['linux'] }], tokens: ['scenario-pat'] });
    const cluster = await startKubernetesEmulator({
      acceptToken: (token) => identity.isValid(token, AKS_RESOURCE),
      startAgent: (container) => startSimulatedAgent({ env: container.env, jobDuration: 50, pollMs: 10 }),
    });
    try {
      const s = settings({ apiServer: cluster.url });
      const launcher = await launcherWith(s, undefined, cluster.url);
      const { requestId } = ado.queueJob({ pool: 'linux', demands: ['docker', 'JAVA_HOME'] });
      const orgUrl = ado.orgUrl('fabrikam');
      const profile = profileWith(s);
      const name = profileAgentName(orgUrl, 'linux', profile.name);
      await launcher.start({ name, orgUrl, pool: 'linux', profile, pat: 'scenario-pat' });

      await expect.poll(async () => (await launcher.status(name))?.phase, { timeout: 10_000 }).toBe('finished');
      expect(await launcher.status(name)).toMatchObject({ exitCode: 0, pool: 'linux', profile: profile.name });
      expect(ado.jobs().find((j) => j.requestId === requestId)).toMatchObject({ state: 'finished', agentName: name });
      expect(patExposures(cluster.requests(), 'scenario-pat')).toEqual([]);
      await launcher.delete(name);
      expect(await launcher.list()).toEqual([]);
    } finally {
      await cluster.close();
      await ado.close();
    }
  });
});
