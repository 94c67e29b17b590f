import { ScalerError } from '../../errors/scaler-error';
import { AKS_SERVER_SCOPE } from './aks-client';

export interface AksScope {
  readonly apiServer: string;
  readonly namespace: string;
}

/** 429 without Retry-After: API Priority and Fairness usually asks for 1 s; wait a little longer. */
const THROTTLE_DEFAULT_MS = 10_000;
/** A ResourceQuota frees up only when running agents finish. */
const QUOTA_DELAY_MS = 60_000;
export const RBAC_ROLE = 'Azure Kubernetes Service RBAC Writer';

interface ApiFailure {
  code: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** client-node's ApiException (or anything shaped like it): an HTTP answer outside 2xx. */
export function httpStatus(error: unknown): number | undefined {
  const code = (error as Partial<ApiFailure> | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's Status object from a failed call, if it sent one. */
function statusOf(error: unknown): { message?: string; reason?: string; details?: { retryAfterSeconds?: number } } {
  const body = (error as ApiFailure).body;
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * A failed Kubernetes call as a ScalerError the consumer branches on. `secret` (the PAT) is
 * scrubbed from whatever server text ends up in the message; the cause is left out for the same
 * reason, as client-node's ApiException message carries the whole response.
 */
export function aksError(error: unknown, what: string, scope: AksScope, secret?: string): ScalerError {
  if (error instanceof ScalerError) return error;
  const code = httpStatus(error);
  const status = code === undefined ? {} : statusOf(error);
  const said = redact(status.message ?? status.reason ?? '', secret);
  const ns = `namespace "${scope.namespace}" of ${scope.apiServer}`;
  if (code === undefined) {
    const name = (error as Error | undefined)?.name ?? '';
    const message = redact((error as Error | undefined)?.message ?? String(error), secret);
    if (name === 'CredentialUnavailableError' || name === 'AuthenticationError' || message.includes(AKS_SERVER_SCOPE)) {
      return new ScalerError('transient', `${what}: could not get a Microsoft Entra token for the AKS API server (scope ${AKS_SERVER_SCOPE}): ${message}`);
    }
    return new ScalerError('transient', `${what}: the AKS API server ${scope.apiServer} could not be reached: ${message}`);
  }
  if (code === 429) {
    const header = Number((error as ApiFailure).headers?.['retry-after']);
    const seconds = Number.isFinite(header) && header > 0 ? header : status.details?.retryAfterSeconds;
    const retryAfterMs = seconds !== undefined && seconds > 0 ? seconds * 1000 : THROTTLE_DEFAULT_MS;
    return new ScalerError('throttled', `${what}: the AKS API server is throttling requests (429)${said ? `: ${said}` : ''}`, { status: code, retryAfterMs });
  }
  if (code === 403 && /exceeded quota/i.test(said)) {
    return new ScalerError('throttled', `${what}: a ResourceQuota in ${ns} is used up (${said}); retrying when agents have finished, or raise the quota.`, {
      status: code,
      retryAfterMs: QUOTA_DELAY_MS,
    });
  }
  if (code === 401) {
    return new ScalerError(
      'permanent',
      `${what}: ${scope.apiServer} rejected the function app's Microsoft Entra token (401). The cluster must have Microsoft Entra ID integration with Azure RBAC enabled; the token is for ${AKS_SERVER_SCOPE}.`,
      { status: code },
    );
  }
  if (code === 403) {
    return new ScalerError(
      'permanent',
      `${what}: forbidden in ${ns}${said ? ` (${said})` : ''}. Grant the function app's managed identity the "${RBAC_ROLE}" role on that namespace (scope <cluster resource id>/namespaces/${scope.namespace}).`,
      { status: code },
    );
  }
  if (code === 404) {
    return new ScalerError(
      'permanent',
      `${what}: ${said || 'not found'} in ${ns}; create the namespace (kubectl create namespace ${scope.namespace}) or fix launcher.namespace.`,
      { status: code },
    );
  }
  if (code === 400 || code === 422) {
    return new ScalerError('permanent', `${what}: the API server refused the request as invalid (${code}): ${said}`, { status: code });
  }
  return new ScalerError('transient', `${what}: the AKS API server answered ${code}${said ? `: ${said}` : ''}`, { status: code });
}

function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  return text.split(secret).join('***').split(base64).join('***');
}
