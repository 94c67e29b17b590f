import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock';
import { FaultInjector } from '../core/faults';
import { RequestLog } from '../core/request-log';
import { errorStatus, startEmulatorServer } from '../core/server';
import { testTls, type TestTls } from '../core/test-ca';
import { handleApi } from './api-routes';
import { faultError } from './fault-status';
import { GarbageCollector } from './garbage-collector';
import { JobController } from './job-controller';
import { clusterNodes, type StatusWriter, type VirtualNodeKind } from './nodes';
import { ObjectStore, RESOURCES, type Resource } from './object-store';
import { badRequest, KubeError, statusBody } from './status';
import type { ContainerProcess, Job, KubeFault, KubeObject, KubeRequest, Pod, Secret, StartedContainer } from './types';
import { readBody } from '../core/read-body';
import type { Latency } from '../core/latency';

export type { ContainerProcess, KubeFault, KubeRequest, StartedContainer } from './types';

export interface KubernetesEmulatorOptions {
  port?: number;
  /** Which bearer tokens the API server accepts; any by default. */
  acceptToken?: (token: string) => boolean;
  /** Runs a pod's first container once it starts (env resolved); undefined leaves it running until finish(). */
  startAgent?: (container: StartedContainer) => ContainerProcess | undefined;
  /**
   * From scheduled (Pending) to Running, drawn anew for each pod (a bare number is fixed
   * milliseconds); also the wait before a failed pod's replacement. 20 ms by default.
   */
  scheduleDelay?: Latency;
  /** The generator for every latency draw (uniform on [0, 1)); Math.random by default. */
  random?: () => number;
  /** For timestamps; `Date.now` by default. */
  now?: Clock;
  /** The virtual nodes the cluster has; both by default. */
  virtualNodes?: VirtualNodeKind[];
  /**
   * Who writes the status of pods on the legacy virtual node. 'aci-connector' (the default, as a
   * real one does): an exited container always shows "Completed" with exit code 0, the pod phase
   * says whether it failed (see aci-connector-status.ts). 'kubelet': a kubelet's statuses.
   */
  legacyNodeStatus?: StatusWriter;
  /** Namespaces that exist (writes elsewhere get 404); every namespace by default. */
  namespaces?: string[];
  /** Defaults to the process's test CA (TEST_TLS_DIR, see test/global-setup.ts). */
  tls?: TestTls;
}

export interface KubernetesEmulator {
  /** The API server URL, e.g. https://127.0.0.1:41234 */
  url: string;
  /** The CA that signed the server certificate, PEM. */
  caPem: string;
  jobs(namespace?: string): Job[];
  pods(namespace?: string): Pod[];
  secrets(namespace?: string): Secret[];
  requests(): KubeRequest[];
  /** Fails the next `fault.count` matching authenticated calls with an AKS-worded Status (emulators/README.md "Core"). */
  injectFault(fault: KubeFault): void;
  clearFaults(): void;
  /** Ends the Job's running container with `exitCode`, as a finished one-shot agent does. */
  finish(jobName: string, exitCode: number): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function startKubernetesEmulator(options: KubernetesEmulatorOptions = {}): Promise<KubernetesEmulator> {
  const now = options.now ?? Date.now;
  const tls = options.tls ?? (await testTls());
  const accepts = options.acceptToken ?? (() => true);
  // The store tells the controller about removed pods (deleted Jobs, GC) so it stops their agents.
  const hooks = { podRemoved: (_pod: KubeObject): void => {} };
  const store = new ObjectStore(now, (resource, obj) => {
    if (resource.plural === 'pods') hooks.podRemoved(obj);
  });
  const controller = new JobController(store, {
    nodes: clusterNodes(options.virtualNodes ?? ['legacy', 'v2'], options.legacyNodeStatus),
    scheduleDelay: options.scheduleDelay ?? 20,
    random: options.random ?? Math.random,
    now,
    ...(options.startAgent ? { startAgent: options.startAgent } : {}),
  });
  hooks.podRemoved = (pod) => controller.podRemoved(pod);
  const gc = new GarbageCollector(store);
  const ctx = { store, gc, controller, ...(options.namespaces ? { namespaces: new Set(options.namespaces) } : {}) };
  const faults = new FaultInjector<{ reason?: string; message?: string }>();
  const log = new RequestLog({ now });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubernetes.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req, MAX_BODY_BYTES);
    const note = log.track(req, res, url, raw, {});
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'audit-id': randomUUID(), ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined || !accepts(token)) return send(401, statusBody('Failure', 401, 'Unauthorized', 'Unauthorized'));
      if (url.pathname === '/version') return send(200, { major: '1', minor: '31', gitVersion: 'v1.31.2', platform: 'linux/amd64' });
      const fault = faults.take(method, url.pathname);
      if (fault) {
        note({ injected: true });
        throw faultError(fault, method, url.pathname);
      }
      let body: unknown;
      try {
        body = raw.trim() ? JSON.parse(raw) : undefined;
      } catch {
        throw badRequest('the body of the request could not be decoded as JSON');
      }
      const answer = handleApi(ctx, { method, path: url.pathname, query: url.searchParams, body, contentType: req.headers['content-type'] ?? '' });
      send(answer.status, answer.body);
    } catch (err) {
      const error = err instanceof KubeError ? err : new KubeError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
      send(error.code, error.body(), error.headers);
    }
  }

  const server = await startEmulatorServer({
    ...(options.port !== undefined ? { port: options.port } : {}),
    tls,
    handle,
    // Reached only when the body could not be read (e.g. too large): answer a Status all the same.
    errorAnswer: (err) => {
      const code = errorStatus(err);
      const reason = code === 413 ? 'RequestEntityTooLarge' : 'InternalError';
      return {
        status: code,
        body: statusBody('Failure', code, code === 413 ? (err as Error).message : `Internal error occurred: ${(err as Error).message}`, reason),
      };
    },
    onClose: () => {
      controller.close();
      gc.close();
    },
  });
  const snapshot = <T extends KubeObject>(resource: Resource, namespace?: string) => structuredClone(store.all<T>(resource, namespace));

  return {
    url: server.origin(),
    caPem: tls.caPem,
    jobs: (namespace) => snapshot<Job>(RESOURCES.jobs, namespace),
    pods: (namespace) => snapshot<Pod>(RESOURCES.pods, namespace),
    secrets: (namespace) => snapshot<Secret>(RESOURCES.secrets, namespace),
    requests: () => log.all(),
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    finish: (jobName, exitCode) => controller.finish(jobName, exitCode),
    close: () => server.close(),
  };
}
