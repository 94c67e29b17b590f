import { randomInt } from 'node:crypto';
import type { Clock } from '../core/clock';
import { sampleMs, type Latency } from '../core/latency';
import { connectorRunning, connectorTerminated } from './aci-connector-status';
import { pickNode, type EmulatedNode } from './nodes';
import { RESOURCES, type ObjectStore } from './object-store';
import { jobFinished, running, terminated, unschedulable, waiting } from './pod-status';
import type { ContainerProcess, Job, KubeObject, Pod, Secret, StartedContainer } from './types';

export interface ControllerOptions {
  nodes: readonly EmulatedNode[];
  /** Scheduled (Pending) → Running, drawn anew for each pod. */
  scheduleDelay: Latency;
  random: () => number;
  /** For the Jobs' creation times handed to startAgent. */
  now: Clock;
  startAgent?: (container: StartedContainer) => ContainerProcess | undefined;
}

interface PodRun {
  process?: ContainerProcess;
  /** Set once the pod's container has ended, so a late exit of its process changes nothing. */
  ended: boolean;
}

// kube-controller-manager's alphabet for generated name suffixes (no vowels, no 0/1/3).
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The Job controller and kubelet in one: a Job gets a pod, the pod is scheduled, its container
 * starts after `scheduleDelay` (with env from Secrets resolved) and ends when its process exits
 * or finish() says so; the Job's status follows, with backoffLimit retries.
 */
export class JobController {
  private readonly runs = new Map<string, PodRun>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Each Job's creation time in ms (its creationTimestamp has whole seconds only), by uid. */
  private readonly jobCreatedAt = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: ControllerOptions,
  ) {}

  jobCreated(job: Job): void {
    this.jobCreatedAt.set(job.metadata.uid, this.options.now());
    this.later(0, () => this.createPod(job.metadata.namespace, job.metadata.name));
  }

  /** A Secret appeared or changed: pods waiting on it (CreateContainerConfigError) try again, as the kubelet does. */
  secretChanged(): void {
    for (const pod of this.store.all<Pod>(RESOURCES.pods)) {
      if (this.waitingOnConfig(pod)) this.startContainer(pod);
    }
  }

  podRemoved(pod: KubeObject): void {
    const run = this.runs.get(pod.metadata.uid);
    this.runs.delete(pod.metadata.uid);
    if (run && !run.ended) run.process?.stop();
  }

  /** Ends the container of the Job's current pod with `exitCode`, as a finished agent does. */
  finish(jobName: string, exitCode: number): void {
    const job = this.store.all(RESOURCES.jobs).find((j) => j.metadata.name === jobName);
    if (!job) throw new Error(`no Job named ${jobName}`);
    const pod = this.podsOf(job).find((p) => p.status.phase === 'Pending' || p.status.phase === 'Running');
    if (!pod) throw new Error(`Job ${jobName} has no pod that is still running`);
    const run = this.runs.get(pod.metadata.uid);
    if (run?.process && !run.ended) run.process.stop();
    this.endContainer(pod, exitCode);
  }

  close(): void {
    this.closed = true;
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    for (const run of this.runs.values()) if (!run.ended) run.process?.stop();
    this.runs.clear();
  }

  private createPod(namespace: string, jobName: string): void {
    const job = this.store.get<Job>(RESOURCES.jobs, namespace, jobName);
    if (!job || job.metadata.deletionTimestamp) return;
    const suffix = Array.from({ length: 5 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
    const template = job.spec.template;
    const pod = this.store.create(RESOURCES.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${jobName}-${suffix}`,
        generateName: `${jobName}-`,
        namespace,
        uid: '',
        resourceVersion: '',
        creationTimestamp: '',
        labels: { ...template.metadata?.labels },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(template.spec),
      status: { phase: 'Pending' },
    }) as Pod;
    this.runs.set(pod.metadata.uid, { ended: false });
    this.updateJobStatus(job, { active: 1, ready: 0, startTime: job.status.startTime ?? this.store.timestamp() });

    const placement = pickNode(this.options.nodes, pod.spec);
    if ('reason' in placement) {
      this.store.update(RESOURCES.pods, { ...pod, status: unschedulable(pod, this.store.timestamp(), placement.reason) });
      return;
    }
    const scheduled = this.store.update(RESOURCES.pods, {
      ...pod,
      spec: { ...pod.spec, nodeName: placement.node.name },
      status: waiting(pod, this.store.timestamp()),
    }) as Pod;
    this.later(this.scheduleDelay(), () => this.startContainer(scheduled));
  }

  private startContainer(stale: Pod): void {
    const pod = this.store.get<Pod>(RESOURCES.pods, stale.metadata.namespace, stale.metadata.name);
    const run = pod && this.runs.get(pod.metadata.uid);
    if (!pod || !run || run.ended || pod.status.phase !== 'Pending') return;
    const container = pod.spec.containers[0];
    if (!container) return;
    const env = this.resolveEnv(pod);
    if ('error' in env) {
      if (!this.waitingOnConfig(pod))
        this.store.update(RESOURCES.pods, { ...pod, status: waiting(pod, this.store.timestamp(), 'CreateContainerConfigError', env.error) });
      return;
    }
    const now = this.store.timestamp();
    const startTime = (pod.status.startTime as string | undefined) ?? now;
    const status = this.byConnector(pod) ? connectorRunning(pod, now, startTime) : running(pod, now, startTime);
    const started = this.store.update(RESOURCES.pods, { ...pod, status }) as Pod;
    const job = this.ownerJob(started);
    if (job) this.updateJobStatus(job, { ready: 1 });
    const createdAt = new Date((job && this.jobCreatedAt.get(job.metadata.uid)) ?? Date.parse(started.metadata.creationTimestamp)).toISOString();
    run.process = this.options.startAgent?.({ pod: started, container: container.name, image: container.image, env: env.values, createdAt });
    run.process?.exited.then(
      (code) => this.endContainer(started, code),
      () => this.endContainer(started, 128),
    );
  }

  private endContainer(stale: Pod, exitCode: number): void {
    const pod = this.store.get<Pod>(RESOURCES.pods, stale.metadata.namespace, stale.metadata.name);
    const run = pod && this.runs.get(pod.metadata.uid);
    if (!pod || !run || run.ended || this.closed) return;
    run.ended = true;
    const status = this.byConnector(pod) ? connectorTerminated(pod, this.store.timestamp(), exitCode) : terminated(pod, this.store.timestamp(), exitCode);
    const ended = this.store.update(RESOURCES.pods, { ...pod, status }) as Pod;
    const job = this.ownerJob(ended);
    if (!job) return;
    const pods = this.podsOf(job);
    // By pod phase, as the real controller counts: on the legacy node the exit code says nothing.
    const failed = pods.filter((p) => p.status.phase === 'Failed').length;
    const succeeded = pods.filter((p) => p.status.phase === 'Succeeded').length;
    const { active: _active, ...rest } = job.status;
    const counts = { ...(succeeded ? { succeeded } : {}), ...(failed ? { failed } : {}), ready: 0, terminating: 0, uncountedTerminatedPods: {} };
    const now = this.store.timestamp();
    if (succeeded > 0) {
      this.setJobStatus(job, { ...rest, ...counts, completionTime: now, conditions: jobFinished(true, now) });
    } else if (failed > (job.spec.backoffLimit ?? 6)) {
      this.setJobStatus(job, { ...rest, ...counts, conditions: jobFinished(false, now) });
    } else {
      // Within backoffLimit the controller replaces the failed pod (after a back-off; here a scheduleDelay draw).
      this.setJobStatus(job, { ...rest, ...counts });
      this.later(this.scheduleDelay(), () => this.createPod(job.metadata.namespace, job.metadata.name));
    }
  }

  private resolveEnv(pod: Pod): { values: Record<string, string> } | { error: string } {
    const values: Record<string, string> = {};
    for (const e of pod.spec.containers[0]?.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) {
        values[e.name] = e.value ?? '';
        continue;
      }
      const secret = this.store.get<Secret>(RESOURCES.secrets, pod.metadata.namespace, ref.name);
      const encoded = secret?.data?.[ref.key];
      if (encoded === undefined) {
        if (ref.optional) continue;
        return { error: secret ? `couldn't find key ${ref.key} in Secret ${pod.metadata.namespace}/${ref.name}` : `secret "${ref.name}" not found` };
      }
      values[e.name] = Buffer.from(encoded, 'base64').toString('utf8');
    }
    return { values };
  }

  /** The pod runs on a node whose statuses the ACI connector writes (the legacy virtual node). */
  private byConnector(pod: Pod): boolean {
    return this.options.nodes.some((n) => n.name === pod.spec.nodeName && n.statusWriter === 'aci-connector');
  }

  private waitingOnConfig(pod: Pod): boolean {
    const statuses = pod.status.containerStatuses as Array<{ state?: { waiting?: { reason?: string } } }> | undefined;
    return pod.status.phase === 'Pending' && statuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError';
  }

  private podsOf(job: KubeObject): Pod[] {
    return this.store.all<Pod>(RESOURCES.pods, job.metadata.namespace).filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid));
  }

  private ownerJob(pod: Pod): Job | undefined {
    const ref = pod.metadata.ownerReferences?.find((r) => r.kind === 'Job');
    return ref && this.store.byUid<Job>(ref.uid);
  }

  private updateJobStatus(job: Job, fields: Record<string, unknown>): void {
    const current = this.store.byUid<Job>(job.metadata.uid);
    if (current) this.setJobStatus(current, { ...current.status, ...fields, terminating: 0, uncountedTerminatedPods: {} });
  }

  private setJobStatus(job: Job, status: Record<string, unknown>): void {
    const current = this.store.byUid<Job>(job.metadata.uid);
    if (current) this.store.update(RESOURCES.jobs, { ...current, status });
  }

  private scheduleDelay(): number {
    return sampleMs(this.options.scheduleDelay, this.options.random);
  }

  private later(ms: number, action: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) action();
    }, ms);
    this.timers.add(timer);
  }
}
