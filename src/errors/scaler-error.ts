/**
 * What the caller does with a failure: retry soon, retry after a given time, or give up
 * (dead-letter, report). Callers branch on `kind`, never on message text.
 */
export type ErrorKind = 'transient' | 'throttled' | 'permanent';

export class ScalerError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /**
     * `code`: a short, stable name of what went wrong, for telemetry and alerts (never for
     * decisions): the scaler's own name for a condition it recognises (e.g. `AciQuotaExceeded`),
     * else the service's error code.
     */
    readonly details: { readonly retryAfterMs?: number; readonly status?: number; readonly code?: string; readonly cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ScalerError';
  }

  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}

export function errorKind(error: unknown): ErrorKind {
  if (error && typeof error === 'object' && 'kind' in error) {
    const kind = error.kind;
    if (kind === 'transient' || kind === 'throttled' || kind === 'permanent') return kind;
  }
  return 'transient';
}
