import { admitJob, admitSecret, incoming } from './admission';
import type { GarbageCollector, PropagationPolicy } from './garbage-collector';
import type { JobController } from './job-controller';
import { parseLabelSelector } from './label-selector';
import { RESOURCES, type ObjectStore, type Resource } from './object-store';
import { applyPatch } from './patch';
import { badRequest, KubeError, statusBody } from './status';
import type { Job, KubeObject } from './types';

export interface ApiContext {
  store: ObjectStore;
  gc: GarbageCollector;
  controller: JobController;
  /** Namespaces that exist; undefined: every namespace does. */
  namespaces?: ReadonlySet<string>;
}

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  contentType: string;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** Which resource a path names: /apis/batch/v1/namespaces/{ns}/jobs[/{name}], /api/v1/namespaces/{ns}/{pods|secrets}[/{name}]. */
export function route(path: string): { resource: Resource; namespace: string; name?: string } | undefined {
  const match = /^\/(?:apis\/batch\/v1|api\/v1)\/namespaces\/([^/]+)\/(jobs|pods|secrets)(?:\/([^/]+))?\/?$/.exec(path);
  if (!match) return undefined;
  const [, namespace = '', plural = '', name] = match;
  const resource = RESOURCES[plural as Resource['plural']];
  const core = path.startsWith('/api/v1/');
  if ((resource.group === '') !== core) return undefined; // jobs only under batch/v1, pods and secrets only under core v1
  return { resource, namespace: decodeURIComponent(namespace), ...(name ? { name: decodeURIComponent(name) } : {}) };
}

export function handleApi(ctx: ApiContext, req: ApiRequest): ApiAnswer {
  const target = route(req.path);
  if (!target) throw new KubeError(404, 'NotFound', 'the server could not find the requested resource');
  const { resource, namespace, name } = target;
  if (ctx.namespaces && !ctx.namespaces.has(namespace) && req.method !== 'GET') {
    throw new KubeError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
  }
  const { store } = ctx;

  if (name === undefined) {
    if (req.method === 'GET') return { status: 200, body: list(store, resource, namespace, req.query) };
    if (req.method === 'POST') return { status: 201, body: create(ctx, resource, namespace, req.body) };
    throw methodNotAllowed(req.method, resource);
  }
  switch (req.method) {
    case 'GET':
      return { status: 200, body: store.mustGet(resource, namespace, name) };
    case 'PATCH':
    case 'PUT':
      return { status: 200, body: update(ctx, resource, store.mustGet(resource, namespace, name), req) };
    case 'DELETE':
      return remove(ctx, resource, store.mustGet(resource, namespace, name), req);
    default:
      throw methodNotAllowed(req.method, resource);
  }
}

function list(store: ObjectStore, resource: Resource, namespace: string, query: URLSearchParams): Record<string, unknown> {
  const selector = query.get('labelSelector');
  const limit = query.has('limit') ? Number(query.get('limit')) : undefined;
  if (limit !== undefined && !Number.isInteger(limit)) throw badRequest(`limit: Invalid value: "${query.get('limit')}"`);
  const page = store.list(resource, namespace, parseLabelSelector(selector), limit, query.get('continue') ?? undefined);
  return {
    kind: resource.listKind,
    apiVersion: resource.apiVersion,
    metadata: {
      resourceVersion: page.resourceVersion,
      ...(page.continue ? { continue: page.continue } : {}),
      // The real server leaves the count out when a label selector makes it expensive.
      ...(page.remainingItemCount !== undefined && !selector ? { remainingItemCount: page.remainingItemCount } : {}),
    },
    // List items carry no apiVersion/kind on the wire, unlike a GET of one object.
    items: page.items.map(({ apiVersion: _a, kind: _k, ...item }) => item),
  };
}

function create(ctx: ApiContext, resource: Resource, namespace: string, body: unknown): KubeObject {
  const obj = incoming(body, namespace);
  if (resource.plural === 'jobs') {
    const job = ctx.store.create(resource, admitJob(obj)) as Job;
    ctx.controller.jobCreated(job);
    return job;
  }
  if (resource.plural === 'secrets') {
    const secret = ctx.store.create(resource, admitSecret(obj));
    afterSecretWrite(ctx);
    return secret;
  }
  throw new KubeError(405, 'MethodNotAllowed', 'the emulator creates pods only through Jobs');
}

function update(ctx: ApiContext, resource: Resource, current: KubeObject, req: ApiRequest): KubeObject {
  const next = req.method === 'PATCH' ? applyPatch(current, req.contentType, req.body) : incoming(req.body, current.metadata.namespace);
  const meta = (next.metadata ?? {}) as KubeObject['metadata'];
  if (meta.name !== current.metadata.name) throw badRequest('the name of the object does not match the name on the URL');
  const merged = { ...(next as KubeObject), metadata: { ...meta, namespace: current.metadata.namespace } };
  const admitted = resource.plural === 'secrets' ? admitSecret(merged) : merged;
  const stored = ctx.store.update(resource, admitted, req.method === 'PUT' ? meta.resourceVersion : undefined);
  if (resource.plural === 'secrets') afterSecretWrite(ctx);
  else ctx.gc.schedule();
  return stored;
}

function afterSecretWrite(ctx: ApiContext): void {
  ctx.gc.schedule(); // its ownerReferences may name an owner that is not there
  ctx.controller.secretChanged();
}

function remove(ctx: ApiContext, resource: Resource, obj: KubeObject, req: ApiRequest): ApiAnswer {
  const options = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { propagationPolicy?: string; orphanDependents?: boolean };
  const requested = req.query.get('propagationPolicy') ?? options.propagationPolicy;
  const orphan = req.query.get('orphanDependents') ?? (options.orphanDependents === undefined ? undefined : String(options.orphanDependents));
  // batch/v1 Jobs still default to orphaning their pods when the client names no policy
  // (kubectl sends Background itself); other resources default to Background.
  const fallback: PropagationPolicy = orphan === 'true' || (orphan === undefined && resource.plural === 'jobs') ? 'Orphan' : 'Background';
  const policy = (requested ?? fallback) as PropagationPolicy;
  if (!['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw new KubeError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}"`);
  }
  const pending = ctx.gc.delete(resource, obj, policy);
  if (pending) return { status: 200, body: pending };
  if (resource.plural === 'pods') return { status: 200, body: obj };
  const details = { name: obj.metadata.name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural, uid: obj.metadata.uid };
  return { status: 200, body: statusBody('Success', 200, undefined, undefined, details) };
}

function methodNotAllowed(method: string, resource: Resource): KubeError {
  return new KubeError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${resource.plural})`);
}
