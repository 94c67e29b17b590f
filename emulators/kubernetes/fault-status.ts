import { route } from './api-routes';
import { KubeError } from './status';
import type { KubeFault } from './types';

const VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** apimachinery's StatusReason for the other codes, so a client branching on `reason` sees the usual one. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  504: 'Timeout',
};

/** The Status a real API server (AKS with Azure RBAC, API Priority and Fairness) answers for each fault. */
export function faultError(fault: KubeFault, method: string, path: string): KubeError {
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
    case 500:
      return new KubeError(500, fault.reason ?? 'InternalError', fault.message ?? 'Internal error occurred: etcdserver: request timed out', undefined, headers);
    default:
      return new KubeError(
        fault.status,
        fault.reason ?? REASONS[fault.status] ?? (fault.status >= 500 ? 'InternalError' : 'BadRequest'),
        fault.message ?? `injected fault: the API server answered ${fault.status}`,
        undefined,
        headers,
      );
  }
}
