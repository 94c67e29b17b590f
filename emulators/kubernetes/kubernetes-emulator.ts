import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { testTls, type TestTls } from '../core/test-ca';
import { handleApi, route } from './api-routes';
import { GarbageCollector } from './garbage-collector';
import { JobController } from './job-controller';
import { clusterNodes, type StatusWriter, type VirtualNodeKind } from './nodes';
import { ObjectStore, RESOURCES, rfc3339, type Resource } from './object-store';
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
  /** Milliseconds since the epoch, for timestamps. */
  clock?: () => number;
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
  injectFault(fault: KubeFault): void;
  /** Ends the Job's running container with `exitCode`, as a finished one-shot agent does. */
  finish(jobName: string, exitCode: number): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export async function startKubernetesEmulator(options: KubernetesEmulatorOptions = {}): Promise<KubernetesEmulator> {
  const clock = options.clock ?? Date.now;
  const tls = options.tls ?? (await testTls());
  const accepts = options.acceptToken ?? (() => true);
  // The store tells the controller about removed pods (deleted Jobs, GC) so it stops their agents.
  const hooks = { podRemoved: (_pod: KubeObject): void => {} };
  const store = new ObjectStore(clock, (resource, obj) => {
    if (resource.plural === 'pods') hooks.podRemoved(obj);
  });
  const controller = new JobController(store, {
    nodes: clusterNodes(options.virtualNodes ?? ['legacy', 'v2'], options.legacyNodeStatus),
    scheduleDelay: options.scheduleDelay ?? 20,
    random: options.random ?? Math.random,
    clock,
    ...(options.startAgent ? { startAgent: options.startAgent } : {}),
  });
  hooks.podRemoved = (pod) => controller.podRemoved(pod);
  const gc = new GarbageCollector(store);
  const ctx = { store, gc, controller, ...(options.namespaces ? { namespaces: new Set(options.namespaces) } : {}) };
  const faults: KubeFault[] = [];
  const log: KubeRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubernetes.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req, MAX_BODY_BYTES);
    const entry: KubeRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, body: raw, time: rfc3339(clock()) };
    res.on('finish', () => log.push({ ...entry, status: res.statusCode }));
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'audit-id': randomUUID(), ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined || !accepts(token)) return send(401, statusBody('Failure', 401, 'Unauthorized', 'Unauthorized'));
      if (url.pathname === '/version') return send(200, { major: '1', minor: '31', gitVersion: 'v1.31.2', platform: 'linux/amd64' });
      const fault = takeFault(method, url.pathname);
      if (fault) {
        entry.injected = true;
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

  function takeFault(method: string, path: string): KubeFault | undefined {
    const index = faults.findIndex((f) => (!f.method || f.method.toUpperCase() === method) && (!f.pathContains || path.includes(f.pathContains)));
    const fault = faults[index];
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) faults.splice(index, 1);
    return fault;
  }

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(statusBody('Failure', 500, `Internal error occurred: ${(err as Error).message}`, 'InternalError')));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const snapshot = <T extends KubeObject>(resource: Resource, namespace?: string) => structuredClone(store.all<T>(resource, namespace));

  return {
    url: `https://127.0.0.1:${port}`,
    caPem: tls.caPem,
    jobs: (namespace) => snapshot<Job>(RESOURCES.jobs, namespace),
    pods: (namespace) => snapshot<Pod>(RESOURCES.pods, namespace),
    secrets: (namespace) => snapshot<Secret>(RESOURCES.secrets, namespace),
    requests: () => structuredClone(log),
    injectFault: (fault) => faults.push({ ...fault }),
    finish: (jobName, exitCode) => controller.finish(jobName, exitCode),
    close: () =>
      new Promise<void>((resolve, reject) => {
        controller.close();
        gc.close();
        server.close((err) => (err ? reject(err) : resolve()));
        // Clients keep connections alive; without this close() waits for them to idle out.
        server.closeAllConnections();
      }),
  };
}

/** The Status a real API server (AKS with Azure RBAC, API Priority and Fairness) answers for each fault. */
function faultError(fault: KubeFault, method: string, path: string): KubeError {
  const target = route(path);
  const resource = target ? (target.resource.group ? `${target.resource.plural}.${target.resource.group}` : target.resource.plural) : path;
  const retryAfter = fault.retryAfterSeconds;
  const headers: Record<string, string> = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {};
  switch (fault.status) {
    case 429:
      return new KubeError(
        429,
        fault.reason ?? 'TooManyRequests',
        fault.message ?? 'Too many requests, please try again later.',
        { retryAfterSeconds: retryAfter ?? 1 },
        { 'retry-after': String(retryAfter ?? 1), ...headers },
      );
    case 403: {
      const verb = VERBS[method] ?? method.toLowerCase();
      const group = target?.resource.group ?? '';
      const message =
        fault.message ??
        `${resource} is forbidden: User "00000000-0000-0000-0000-0000000000aa" cannot ${verb} resource "${target?.resource.plural ?? ''}" in API group "${group}" in the namespace "${target?.namespace ?? ''}": User does not have access to the resource in Azure. Update role assignment to allow access.`;
      return new KubeError(403, fault.reason ?? 'Forbidden', message, { kind: target?.resource.plural ?? '', ...(group ? { group } : {}) }, headers);
    }
    case 503:
      return new KubeError(
        503,
        fault.reason ?? 'ServiceUnavailable',
        fault.message ?? 'The server is currently unable to handle the request',
        undefined,
        headers,
      );
    default:
      return new KubeError(500, fault.reason ?? 'InternalError', fault.message ?? 'Internal error occurred: etcdserver: request timed out', undefined, headers);
  }
}
