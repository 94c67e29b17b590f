/**
 * What the caller does with a failure: retry soon, retry after a given time, or give up
 * (dead-letter, report). Callers branch on `kind`, never on message text.
 */
export type ErrorKind = 'transient' | 'throttled' | 'permanent';

export class ScalerError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: { readonly retryAfterMs?: number; readonly status?: number; readonly cause?: unknown } = {},
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
    const kind = (error).kind;
    if (kind === 'transient' || kind === 'throttled' || kind === 'permanent') return kind;
  }
  return 'transient';
}
