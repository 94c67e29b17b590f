/** The JSON shapes the emulator stores, typed as far as the emulator reads them. */
import type { Fault } from '../core/faults';
import type { LoggedRequest } from '../core/request-log';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; [key: string]: unknown };
}

export interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  [key: string]: unknown;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

export interface PodSpec {
  containers: Container[];
  restartPolicy?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  nodeName?: string;
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  spec: PodSpec;
}

export interface JobSpec {
  backoffLimit?: number;
  ttlSecondsAfterFinished?: number;
  template: PodTemplate;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

export interface Job extends KubeObject {
  spec: JobSpec;
  status: Record<string, unknown>;
}

export interface Pod extends KubeObject {
  spec: PodSpec;
  status: Record<string, unknown>;
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** What a started container gets: its pod as stored and its environment with secret references resolved. */
export interface StartedContainer {
  pod: Pod;
  container: string;
  image: string;
  env: Record<string, string>;
  /** When the pod's Job was created (ISO 8601 with ms; the Job's creationTimestamp has whole seconds). */
  createdAt: string;
}

/** A running agent process as the emulator drives it (the simulated agent's handle fits). */
export interface ContainerProcess {
  exited: Promise<number>;
  stop(): void;
}

/**
 * An injected fault (matching rules in emulators/core/faults.ts), answered with the Status AKS
 * gives for its status unless `reason` or `message` say otherwise.
 */
export type KubeFault = Fault<{ readonly reason?: string; readonly message?: string }>;

/** The common request log entry (emulators/core/request-log.ts); `body` is exactly as sent. */
export type KubeRequest = LoggedRequest;
