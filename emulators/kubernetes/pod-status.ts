import type { Pod, PodSpec } from './types';

// Pod and Job status shapes as a kubelet and the Job controller (Kubernetes 1.31+) write them.

type Condition = Record<string, unknown>;

const condition = (type: string, status: 'True' | 'False', at: string, reason?: string, message?: string): Condition => ({
  type,
  status,
  lastProbeTime: null,
  lastTransitionTime: at,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

export function qosClass(spec: PodSpec): string {
  const resources = spec.containers.map((c) => c.resources ?? {});
  if (resources.every((r) => !r.requests && !r.limits)) return 'BestEffort';
  const guaranteed = resources.every(
    (r) =>
      r.limits?.cpu !== undefined &&
      r.limits.memory !== undefined &&
      (r.requests?.cpu ?? r.limits.cpu) === r.limits.cpu &&
      (r.requests?.memory ?? r.limits.memory) === r.limits.memory,
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function unschedulable(pod: Pod, at: string, message: string): Record<string, unknown> {
  return { phase: 'Pending', conditions: [condition('PodScheduled', 'False', at, 'Unschedulable', message)], qosClass: qosClass(pod.spec) };
}

/** Scheduled, container not started: ContainerCreating, or CreateContainerConfigError for a missing Secret. */
export function waiting(pod: Pod, at: string, reason = 'ContainerCreating', message?: string): Record<string, unknown> {
  return {
    phase: 'Pending',
    conditions: [
      condition('PodReadyToStartContainers', 'False', at),
      condition('Initialized', 'True', at),
      condition('Ready', 'False', at, 'ContainersNotReady', `containers with unready status: [${names(pod)}]`),
      condition('ContainersReady', 'False', at, 'ContainersNotReady', `containers with unready status: [${names(pod)}]`),
      condition('PodScheduled', 'True', at),
    ],
    hostIP: '10.224.0.4',
    startTime: at,
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      lastState: {},
      state: { waiting: { reason, ...(message ? { message } : {}) } },
    })),
    qosClass: qosClass(pod.spec),
  };
}

export function running(pod: Pod, at: string, startTime: string): Record<string, unknown> {
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', 'True', at),
      condition('Initialized', 'True', startTime),
      condition('Ready', 'True', at),
      condition('ContainersReady', 'True', at),
      condition('PodScheduled', 'True', startTime),
    ],
    hostIP: '10.224.0.4',
    podIP: '10.224.0.37',
    podIPs: [{ ip: '10.224.0.37' }],
    startTime,
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: `${c.image.split(':')[0] ?? c.image}@sha256:${'0'.repeat(64)}`,
      containerID: `containerd://${pod.metadata.uid.replace(/-/g, '')}`,
      ready: true,
      restartCount: 0,
      started: true,
      lastState: {},
      state: { running: { startedAt: at } },
    })),
    qosClass: qosClass(pod.spec),
  };
}

export function terminated(pod: Pod, at: string, exitCode: number): Record<string, unknown> {
  const previous = (pod.status.containerStatuses as Array<Record<string, unknown>> | undefined) ?? [];
  const startTime = (pod.status.startTime as string | undefined) ?? at;
  const reason = exitCode === 0 ? 'PodCompleted' : 'PodFailed';
  return {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions: [
      condition('PodReadyToStartContainers', 'False', at),
      condition('Initialized', 'True', startTime, reason),
      condition('Ready', 'False', at, reason),
      condition('ContainersReady', 'False', at, reason),
      condition('PodScheduled', 'True', startTime),
    ],
    hostIP: '10.224.0.4',
    startTime,
    containerStatuses: pod.spec.containers.map((c, i) => ({
      name: c.name,
      image: c.image,
      imageID: (previous[i]?.imageID as string | undefined) ?? '',
      containerID: `containerd://${pod.metadata.uid.replace(/-/g, '')}`,
      ready: false,
      restartCount: 0,
      started: false,
      lastState: {},
      state: {
        terminated: {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt: startTime,
          finishedAt: at,
          containerID: `containerd://${pod.metadata.uid.replace(/-/g, '')}`,
        },
      },
    })),
    qosClass: qosClass(pod.spec),
  };
}

/** The Job's terminal conditions: SuccessCriteriaMet/FailureTarget first, then Complete/Failed (1.31+). */
export function jobFinished(succeeded: boolean, at: string): Condition[] {
  return succeeded
    ? [
        condition('SuccessCriteriaMet', 'True', at, 'CompletionsReached', 'Reached expected number of succeeded pods'),
        condition('Complete', 'True', at, 'CompletionsReached', 'Reached expected number of succeeded pods'),
      ]
    : [
        condition('FailureTarget', 'True', at, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
        condition('Failed', 'True', at, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      ];
}

function names(pod: Pod): string {
  return pod.spec.containers.map((c) => c.name).join(' ');
}
