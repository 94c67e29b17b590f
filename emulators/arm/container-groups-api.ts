import { resourceGroupNotFound, resourceNotFound, type ArmError } from './arm-errors';
import type { ContainerGroupStore } from './container-groups';
import { parseGroupBody, regionOf, wireGroup, type StoredGroup } from './group-shapes';

export interface ApiAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiRequest {
  /** The emulator's base URL, for nextLink and Azure-AsyncOperation. */
  url: string;
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  pageSize: number;
  resourceGroups?: string[] | undefined;
}

const PROVIDER = 'providers/Microsoft\\.ContainerInstance';
const GROUP = new RegExp(`^/subscriptions/([^/]+)/resourceGroups/([^/]+)/${PROVIDER}/containerGroups/([^/]+)/?$`, 'i');
const GROUPS_IN_RG = new RegExp(`^/subscriptions/([^/]+)/resourceGroups/([^/]+)/${PROVIDER}/containerGroups/?$`, 'i');
const GROUPS_IN_SUB = new RegExp(`^/subscriptions/([^/]+)/${PROVIDER}/containerGroups/?$`, 'i');
const OPERATION = new RegExp(`^/subscriptions/([^/]+)/${PROVIDER}/locations/([^/]+)/operations/([^/]+)/?$`, 'i');

/** The container group REST surface of Microsoft.ContainerInstance (api-version 2023-05-01 shapes). */
export function containerGroupsApi(store: ContainerGroupStore, req: ApiRequest): ApiAnswer {
  const path = decodeURIComponent(req.path);
  let m: RegExpExecArray | null;
  if ((m = GROUP.exec(path))) {
    const [, sub = '', rg = '', name = ''] = m;
    const missingRg = checkResourceGroup(req, rg);
    if (missingRg) return error(missingRg);
    return groupRoute(store, req, sub, rg, name);
  }
  if ((m = GROUPS_IN_RG.exec(path)) && req.method === 'GET') {
    const [, sub = '', rg = ''] = m;
    const missingRg = checkResourceGroup(req, rg);
    if (missingRg) return error(missingRg);
    return page(req, store.inScope(sub, rg));
  }
  if ((m = GROUPS_IN_SUB.exec(path)) && req.method === 'GET') return page(req, store.inScope(m[1] ?? ''));
  if ((m = OPERATION.exec(path)) && req.method === 'GET') {
    const status = store.operation(m[3] ?? '');
    return status ? { status: 200, body: status } : error({ status: 404, code: 'OperationNotFound', message: `The operation '${m[3]}' could not be found.` });
  }
  if (GROUPS_IN_RG.test(path) || GROUPS_IN_SUB.test(path) || OPERATION.test(path)) return methodNotAllowed(req.method);
  return error({ status: 404, code: 'InvalidResourceType', message: `The resource type could not be found for path '${req.path}'.` });
}

function groupRoute(store: ContainerGroupStore, req: ApiRequest, sub: string, rg: string, name: string): ApiAnswer {
  switch (req.method) {
    case 'GET': {
      const group = store.get(sub, rg, name);
      return group ? { status: 200, body: wireGroup(group, 'full') } : error(resourceNotFound(rg, name));
    }
    case 'PUT': {
      let raw: unknown;
      try {
        raw = JSON.parse(req.body);
      } catch {
        return error({ status: 400, code: 'InvalidRequestContent', message: 'The request content was invalid and could not be deserialized.' });
      }
      const body = parseGroupBody(name, raw);
      if ('status' in body) return error(body);
      const result = store.put(sub, rg, name, body);
      if ('status' in result) return error(result);
      const operation = `${req.url}/subscriptions/${sub}/providers/Microsoft.ContainerInstance/locations/${regionOf(body.location)}/operations/${result.operationId}?api-version=2018-06-01`;
      // As recorded: 201 (200 for an update) with provisioningState Pending and the operation to poll.
      return { status: result.created ? 201 : 200, body: wireGroup(result.group, 'created'), headers: { 'azure-asyncoperation': operation } };
    }
    case 'DELETE': {
      const group = store.delete(sub, rg, name);
      // ARM answers a delete of what is not there with 204, so deletes are idempotent.
      return group ? { status: 200, body: { ...wireGroup(group, 'list') } } : { status: 204 };
    }
    default:
      return methodNotAllowed(req.method);
  }
}

function page(req: ApiRequest, groups: StoredGroup[]): ApiAnswer {
  const skip = Number(req.query.get('$skipToken') ?? req.query.get('$skiptoken') ?? 0) || 0;
  const slice = groups.slice(skip, skip + req.pageSize);
  const next = skip + req.pageSize < groups.length ? nextLink(req, skip + req.pageSize) : undefined;
  return { status: 200, body: { value: slice.map((g) => wireGroup(g, 'list')), ...(next ? { nextLink: next } : {}) } };
}

function nextLink(req: ApiRequest, skip: number): string {
  const query = new URLSearchParams(req.query);
  query.delete('$skipToken');
  query.delete('$skiptoken');
  query.set('$skipToken', String(skip));
  return `${req.url}${req.path}?${query.toString()}`;
}

function checkResourceGroup(req: ApiRequest, rg: string): ArmError | undefined {
  if (!req.resourceGroups || req.resourceGroups.some((r) => r.toLowerCase() === rg.toLowerCase())) return undefined;
  return resourceGroupNotFound(rg);
}

function methodNotAllowed(method: string): ApiAnswer {
  return error({ status: 405, code: 'HttpMethodNotAllowed', message: `The HTTP method '${method}' is not supported here.` });
}

function error(e: ArmError): ApiAnswer {
  return { status: e.status, body: { error: { code: e.code, message: e.message } }, headers: { ...e.headers } };
}
