import { errorMessage } from './error-message';
import { systemClock, type Clock } from '../time/clock';
import { retryAfterMs } from './retry-after';

/**
 * What the scaler reads of a failed azure-devops-node-api call. Its REST client (typed-rest-client)
 * rejects with an Error carrying `statusCode`, the parsed body as `result` and the response's
 * `responseHeaders`; a request that got no answer carries Node's `code` (ECONNRESET...) instead.
 */
export interface AdoHttpFailure {
  /** The HTTP status ADO answered; undefined when no answer came. */
  readonly status?: number;
  /** Node's network error code when no answer came (ECONNRESET, ETIMEDOUT...). */
  readonly code?: string;
  /** ADO's exception type from the body (`typeKey`, e.g. `TaskAgentPoolNotFoundException`). */
  readonly typeKey?: string;
  readonly message: string;
  /** Retry-After (seconds or an HTTP date), in milliseconds. */
  readonly retryAfterMs?: number;
  /** ADO's activity id (x-vss-activityid or activityid), for support cases. */
  readonly activityId?: string;
}

/** The response headers typed-rest-client attaches to its error (Node's IncomingHttpHeaders). */
type AdoResponseHeaders = Record<string, string | string[] | undefined>;

interface AdoErrorFields {
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly result?: { readonly typeKey?: unknown } | null;
  readonly responseHeaders?: AdoResponseHeaders;
}

export function adoHttpFailure(error: unknown, now: Clock = systemClock): AdoHttpFailure {
  if (typeof error !== 'object' || error === null) return { message: errorMessage(error) };
  const e = error as AdoErrorFields;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const typeKey = typeof e.result?.typeKey === 'string' ? e.result.typeKey : undefined;
  const retryAfter = adoRetryAfterMs(e.responseHeaders, now);
  const activityId = header(e.responseHeaders, 'x-vss-activityid') ?? header(e.responseHeaders, 'activityid');
  return {
    ...(status === undefined ? {} : { status }),
    ...(code === undefined ? {} : { code }),
    ...(typeKey === undefined ? {} : { typeKey }),
    message: errorMessage(error),
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    ...(activityId ? { activityId } : {}),
  };
}

/** Retry-After of ADO's response headers (Node lowercases header names), in milliseconds. */
function adoRetryAfterMs(headers: AdoResponseHeaders | undefined, now: Clock): number | undefined {
  return retryAfterMs(header(headers, 'retry-after'), now);
}

function header(headers: AdoResponseHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  return Array.isArray(raw) ? raw[0] : raw;
}
