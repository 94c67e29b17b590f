import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubernetesEmulator, type KubernetesEmulator, type StartedContainer } from './kubernetes-emulator';
import { JOBS, PODS, SECRETS, eventually, jobBody, rawClient } from './raw-client';
import type { Pod } from './types';

// Jobs over time: pods, scheduling onto virtual nodes, env from Secrets, exit codes, Job
// conditions, backoffLimit, deletion with propagation and ownerReference garbage collection.

let k8s: KubernetesEmulator;
let call: ReturnType<typeof rawClient>;
const started: StartedContainer[] = [];
const exits = new Map<string, (code: number) => void>();
const stopped = new Set<string>();

beforeAll(async () => {
  k8s = await startKubernetesEmulator({
    virtualNodes: ['legacy'],
    // A kubelet's statuses, so these tests see exit codes; the ACI connector's have their own test.
    legacyNodeStatus: 'kubelet',
    startAgent: (container) => {
      started.push(container);
      return { exited: new Promise<number>((resolve) => exits.set(container.env.AGENT ?? '', resolve)), stop: () => stopped.add(container.env.AGENT ?? '') };
    },
  });
  call = rawClient(k8s.url);
});
afterAll(() => k8s?.close());

const podOf = (job: string) => k8s.pods('agents').find((p) => p.metadata.labels?.['job-name'] === job);
const phaseOf = (job: string, phase: string) => eventually(() => (podOf(job)?.status.phase === phase ? podOf(job) : undefined), `${job} ${phase}`);
const jobStatus = (job: string) => k8s.jobs('agents').find((j) => j.metadata.name === job)?.status ?? {};
const legacy = { type: 'virtual-kubelet' };
const tolerations = [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }];

describe('Kubernetes emulator Jobs', () => {
  it('runs the pod on the virtual node with env from the Secret, and completes the Job with its exit code', async () => {
    await call('POST', SECRETS, { metadata: { name: 'ok-token' }, data: { token: Buffer.from('s3cret').toString('base64') } });
    const body = jobBody('ok', {
      backoffLimit: 0,
      nodeSelector: legacy,
      env: [
        { name: 'AGENT', value: 'ok' },
        { name: 'AZP_TOKEN', valueFrom: { secretKeyRef: { name: 'ok-token', key: 'token' } } },
      ],
    });
    Object.assign(body.spec.template.spec, { tolerations });
    await call('POST', JOBS, body);

    const pending = await eventually(() => podOf('ok'), 'pod');
    expect(pending.metadata.name).toMatch(/^ok-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pending.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: 'ok', controller: true })]);
    const running = await phaseOf('ok', 'Running');
    expect(running.spec.nodeName).toBe('virtual-node-aci-linux');
    expect(started.find((c) => c.env.AGENT === 'ok')?.env).toEqual({ AGENT: 'ok', AZP_TOKEN: 's3cret' });
    expect(jobStatus('ok')).toMatchObject({ active: 1, ready: 1 });

    exits.get('ok')?.(0);
    const done = await phaseOf('ok', 'Succeeded');
    expect(done.status).toMatchObject({ containerStatuses: [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
    expect(jobStatus('ok')).toMatchObject({ succeeded: 1, ready: 0, conditions: [{ type: 'SuccessCriteriaMet' }, { type: 'Complete', status: 'True' }] });
    expect(jobStatus('ok')).not.toHaveProperty('active');
  });

  it('fails a Job with backoffLimit 0 on the first failure, and retries a pod within the default limit', async () => {
    await call('POST', JOBS, withTolerations(jobBody('once', { backoffLimit: 0, nodeSelector: legacy })));
    await phaseOf('once', 'Running');
    k8s.finish('once', 2);
    expect((await phaseOf('once', 'Failed')).status).toMatchObject({ containerStatuses: [{ state: { terminated: { exitCode: 2, reason: 'Error' } } }] });
    expect(jobStatus('once')).toMatchObject({
      failed: 1,
      conditions: [{ type: 'FailureTarget' }, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }],
    });

    await call('POST', JOBS, withTolerations(jobBody('retried', { nodeSelector: legacy })));
    await phaseOf('retried', 'Running');
    k8s.finish('retried', 1);
    await eventually(() => (k8s.pods('agents').filter((p) => p.metadata.labels?.['job-name'] === 'retried').length === 2 ? true : undefined), 'a second pod');
    expect(jobStatus('retried')).toMatchObject({ failed: 1 });
    expect(jobStatus('retried')).not.toHaveProperty('conditions');
  });

  it('keeps a pod Pending while its Secret is missing or no node fits, as a cluster does', async () => {
    await call(
      'POST',
      JOBS,
      withTolerations(jobBody('late', { nodeSelector: legacy, env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'late-token', key: 'token' } } }] })),
    );
    const blocked = await eventually(() => (waitingReason(podOf('late')) === 'CreateContainerConfigError' ? podOf('late') : undefined), 'config error');
    expect(blocked.status).toMatchObject({ phase: 'Pending', containerStatuses: [{ state: { waiting: { message: 'secret "late-token" not found' } } }] });
    await call('POST', SECRETS, { metadata: { name: 'late-token' }, stringData: { token: 'x' } });
    await phaseOf('late', 'Running');

    // This cluster has only the legacy virtual node: a v2 nodeSelector fits nowhere.
    await call('POST', JOBS, withTolerations(jobBody('nowhere', { nodeSelector: { virtualization: 'virtualnode2' } })));
    const unscheduled = await eventually(() => podOf('nowhere'), 'pod');
    expect(unscheduled.status).toMatchObject({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] });
    expect(unscheduled.spec.nodeName).toBeUndefined();
  });

  it('deletes dependents with the Job (Background, Foreground) and orphans them by default', async () => {
    for (const name of ['bg', 'fg', 'orphan']) {
      const job = (await call('POST', JOBS, withTolerations(jobBody(name, { nodeSelector: legacy, env: [{ name: 'AGENT', value: name }] })))).body as {
        metadata: { uid: string };
      };
      await call('POST', SECRETS, {
        metadata: { name: `${name}-token`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid }] },
      });
      await phaseOf(name, 'Running');
    }
    const bg = await call('DELETE', `${JOBS}/bg?propagationPolicy=Background`);
    expect(bg.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'bg', group: 'batch', kind: 'jobs' } });
    const fg = await call('DELETE', `${JOBS}/fg`, { propagationPolicy: 'Foreground' });
    expect(fg.body).toMatchObject({ kind: 'Job', metadata: { finalizers: ['foregroundDeletion'], deletionTimestamp: expect.any(String) as string } });
    await call('DELETE', `${JOBS}/orphan`);

    const gone = (name: string) =>
      !podOf(name) && !k8s.secrets('agents').some((s) => s.metadata.name === `${name}-token`) && !k8s.jobs('agents').some((j) => j.metadata.name === name);
    await eventually(() => (gone('bg') && gone('fg') ? true : undefined), 'dependents collected');
    // Their containers were killed with the pods; the orphaned pod runs on.
    expect([...stopped].filter((a) => ['bg', 'fg', 'orphan'].includes(a)).sort()).toEqual(['bg', 'fg']);
    await eventually(() => (k8s.jobs('agents').some((j) => j.metadata.name === 'orphan') ? undefined : true), 'orphaning');
    expect(podOf('orphan')?.metadata.ownerReferences).toBeUndefined();
    expect(k8s.secrets('agents').find((s) => s.metadata.name === 'orphan-token')?.metadata.ownerReferences).toBeUndefined();
  });

  it('collects a Secret whose owner does not exist, and lists pods by job-name', async () => {
    await call('POST', SECRETS, {
      metadata: { name: 'dangling', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'x', uid: '00000000-0000-0000-0000-000000000000' }] },
    });
    await eventually(() => (k8s.secrets('agents').some((s) => s.metadata.name === 'dangling') ? undefined : true), 'collection');
    const pods = await call('GET', `${PODS}?labelSelector=job-name%3Dok`);
    expect(pods.body).toMatchObject({ kind: 'PodList', items: [{ metadata: { labels: { 'job-name': 'ok' } } }] });
  });

  it('reports pods on the legacy virtual node as the ACI connector does: exit code lost, phase and Job tell the failure', async () => {
    const connector = await startKubernetesEmulator({ virtualNodes: ['legacy'] });
    try {
      const post = rawClient(connector.url);
      const podOn = (job: string) => connector.pods('agents').find((p) => p.metadata.labels?.['job-name'] === job);
      const inPhase = (job: string, phase: string) => eventually(() => (podOn(job)?.status.phase === phase ? podOn(job) : undefined), `${job} ${phase}`);
      for (const name of ['fine', 'broken']) await post('POST', JOBS, withTolerations(jobBody(name, { backoffLimit: 0, nodeSelector: legacy })));

      const running = await inPhase('fine', 'Running');
      expect(running.status).toMatchObject({
        conditions: [{ type: 'Ready', status: 'True' }, { type: 'Initialized' }, { type: 'PodScheduled' }],
        containerStatuses: [{ imageID: '', containerID: expect.stringMatching(/^aci:\/\/[0-9a-f]{64}$/) as string, state: { running: {} } }],
      });
      connector.finish('fine', 0);
      await inPhase('broken', 'Running');
      connector.finish('broken', 2);

      const completed = { exitCode: 0, reason: 'Completed' };
      expect((await inPhase('fine', 'Succeeded')).status).toMatchObject({ containerStatuses: [{ ready: false, state: { terminated: completed } }] });
      const failed = await inPhase('broken', 'Failed');
      expect(failed.status).toMatchObject({ conditions: [], containerStatuses: [{ state: { terminated: completed } }] });
      expect(failed.status).not.toHaveProperty('reason');
      await eventually(() => connector.jobs('agents').find((j) => j.metadata.name === 'broken')?.status.conditions, 'the Job to fail');
      expect(connector.jobs('agents').find((j) => j.metadata.name === 'broken')?.status).toMatchObject({
        failed: 1,
        conditions: [{ type: 'FailureTarget' }, { type: 'Failed', reason: 'BackoffLimitExceeded' }],
      });
    } finally {
      await connector.close();
    }
  });

  it("draws each pod its own start delay, and hands startAgent the Job's creation time in ms", async () => {
    const draws = [0.99, 0.01]; // the first pod waits 495 ms, the second 25 ms
    const running = new Map<string, { delayMs: number; createdAt: string }>();
    const jittered = await startKubernetesEmulator({
      virtualNodes: ['legacy'],
      scheduleDelay: { kind: 'uniform', minMs: 20, maxMs: 500 },
      random: () => draws.shift() ?? 0.5,
      startAgent: (container) => {
        running.set(container.env.AGENT ?? '', { delayMs: Date.now() - Date.parse(container.createdAt), createdAt: container.createdAt });
        return { exited: new Promise<number>(() => {}), stop: () => {} };
      },
    });
    try {
      const post = rawClient(jittered.url);
      for (const name of ['slow', 'quick'])
        await post('POST', JOBS, withTolerations(jobBody(name, { nodeSelector: legacy, env: [{ name: 'AGENT', value: name }] })));
      await eventually(() => (running.size === 2 ? true : undefined), 'both pods to run');
      expect([...running.keys()]).toEqual(['quick', 'slow']);
      expect(running.get('slow')!.delayMs).toBeGreaterThanOrEqual(493);
      expect(running.get('quick')!.delayMs).toBeGreaterThanOrEqual(23);
      expect(running.get('slow')!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const job = jittered.jobs('agents').find((j) => j.metadata.name === 'slow')!;
      expect(Date.parse(running.get('slow')!.createdAt) - Date.parse(job.metadata.creationTimestamp)).toBeLessThan(1_000);
      expect(draws).toEqual([]);
    } finally {
      await jittered.close();
    }
  });
});

function withTolerations<T extends ReturnType<typeof jobBody>>(body: T): T {
  Object.assign(body.spec.template.spec, { tolerations });
  return body;
}

function waitingReason(pod: Pod | undefined): string | undefined {
  const statuses = pod?.status.containerStatuses as Array<{ state?: { waiting?: { reason?: string } } }> | undefined;
  return statuses?.[0]?.state?.waiting?.reason;
}
