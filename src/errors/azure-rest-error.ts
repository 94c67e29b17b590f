import { isRestError } from '@azure/core-rest-pipeline';
import { errorMessage } from './error-message';
import { systemClock, type Clock } from '../time/clock';
import { retryAfterMs } from './retry-after';

/**
 * What the scaler reads of a failed Azure SDK call (ARM/ACI, Key Vault, Table storage, identity):
 * plain values only. The SDK error itself holds the request, Authorization header included, so
 * adapters build their ScalerError from this and never attach the SDK error as `cause`.
 */
export interface AzureRestFailure {
  /** The error's name: `RestError`, or @azure/identity's `AuthenticationError`, `CredentialUnavailableError`... */
  readonly name?: string;
  /** The HTTP status the service answered; undefined when no answer came (network, credential). */
  readonly status?: number;
  /** The service's error code (`AuthorizationFailed`), or the SDK's (`REQUEST_SEND_ERROR`, `ECONNREFUSED`). */
  readonly code?: string;
  /** The inner error code of the service's error body (`error.innerError.code`, e.g. Key Vault's `SecretDisabled`). */
  readonly innerCode?: string;
  readonly message: string;
  /** Retry-After (seconds or an HTTP date), in milliseconds. */
  readonly retryAfterMs?: number;
  /** The service's request id (x-ms-request-id), else the client's (x-ms-client-request-id), for support cases. */
  readonly requestId?: string;
}

interface HeadersLike {
  get?(name: string): string | undefined;
}

/** The fields a RestError has, as other SDK and identity errors (and test doubles) may carry them. */
interface RestErrorFields {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly details?: unknown;
  readonly response?: { readonly headers?: HeadersLike };
  readonly request?: { readonly requestId?: unknown };
}

/**
 * Reads a failed Azure SDK call. A RestError (`isRestError`) is the usual shape; other errors
 * (@azure/identity's AuthenticationError, test doubles) are read by the same fields when present.
 */
export function azureRestFailure(error: unknown, now: Clock = systemClock): AzureRestFailure {
  if (typeof error !== 'object' || error === null) return { message: errorMessage(error) };
  const e: RestErrorFields = isRestError(error)
    ? {
        name: error.name,
        message: error.message,
        statusCode: error.statusCode,
        code: error.code,
        details: error.details,
        response: error.response,
        request: error.request,
      }
    : error;
  const headers = e.response?.headers;
  const header = (name: string) => (typeof headers?.get === 'function' ? headers.get(name) : undefined);
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const innerCode = innerErrorCode(e.details);
  const retryAfter = retryAfterMs(header('retry-after'), now);
  const clientRequestId = typeof e.request?.requestId === 'string' ? e.request.requestId : undefined;
  const requestId = header('x-ms-request-id') ?? header('x-ms-client-request-id') ?? clientRequestId;
  return {
    ...(typeof e.name === 'string' ? { name: e.name } : {}),
    ...(status === undefined ? {} : { status }),
    ...(code === undefined ? {} : { code }),
    ...(innerCode === undefined ? {} : { innerCode }),
    message: typeof e.message === 'string' ? e.message : errorMessage(error),
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    ...(requestId ? { requestId } : {}),
  };
}

function innerErrorCode(details: unknown): string | undefined {
  const code = (details as { error?: { innerError?: { code?: unknown } } } | undefined)?.error?.innerError?.code;
  return typeof code === 'string' ? code : undefined;
}
