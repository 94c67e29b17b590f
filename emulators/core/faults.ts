import { matchesRequest, type RequestMatch } from './request-match';

/**
 * What every emulator's `injectFault` takes: fail the next `count` matching calls with `status`.
 * Each emulator adds the fields its service's error shape has (ARM `code`, Kubernetes `reason`).
 */
export interface BaseFault extends RequestMatch {
  /** An HTTP error status, 400-599. */
  readonly status: number;
  /** How many matching calls fail; each failed call uses up one. */
  readonly count: number;
  /** Sent as `Retry-After`; some emulators have a default for 429. */
  readonly retryAfterSeconds?: number;
}

export type Fault<Extra extends object = object> = BaseFault & Extra;

/** A fault refused before it is stored; `field` names what was wrong, for the admin APIs' 400s. */
export class InvalidFaultError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidFaultError';
  }
}

/**
 * The faults waiting to be met, oldest first. Validation happens on `add` so a typo in a test
 * fails there, loudly, instead of as a fault that never fires.
 */
export class FaultInjector<Extra extends object = object> {
  private faults: Array<{ readonly fault: Fault<Extra>; remaining: number }> = [];

  add(fault: Fault<Extra>): void {
    validateFault(fault);
    this.faults.push({ fault: { ...fault }, remaining: fault.count });
  }

  /** The first fault matching this call, used up by one; undefined when none matches. */
  take(method: string, path: string): Fault<Extra> | undefined {
    const entry = this.faults.find((f) => matchesRequest(f.fault, method, path));
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.faults = this.faults.filter((f) => f !== entry);
    return entry.fault;
  }

  clear(): void {
    this.faults = [];
  }

  /** How many calls the stored faults will still fail. */
  get pending(): number {
    return this.faults.reduce((sum, f) => sum + f.remaining, 0);
  }
}

// The admin APIs hand over whatever JSON they got, so every field is checked, not just typed.
function validateFault(fault: unknown): asserts fault is BaseFault {
  if (typeof fault !== 'object' || fault === null) throw new InvalidFaultError('fault', 'A fault must be an object such as {"status": 503, "count": 1}');
  const { status, count, method, pathContains, retryAfterSeconds } = fault as Record<string, unknown>;
  if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599) {
    throw new InvalidFaultError('status', `Fault "status" must be an HTTP error status, an integer from 400 to 599; got ${JSON.stringify(status)}`);
  }
  if (!Number.isInteger(count) || (count as number) < 1) {
    throw new InvalidFaultError('count', `Fault "count" must be a positive integer (how many calls fail); got ${JSON.stringify(count)}`);
  }
  if (method !== undefined && (typeof method !== 'string' || method === '')) {
    throw new InvalidFaultError('method', `Fault "method" must be an HTTP method such as "GET"; got ${JSON.stringify(method)}`);
  }
  if (pathContains !== undefined && typeof pathContains !== 'string') {
    throw new InvalidFaultError('pathContains', `Fault "pathContains" must be a string; got ${JSON.stringify(pathContains)}`);
  }
  if (retryAfterSeconds !== undefined && (typeof retryAfterSeconds !== 'number' || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds < 0)) {
    throw new InvalidFaultError(
      'retryAfterSeconds',
      `Fault "retryAfterSeconds" must be a number of seconds, 0 or more; got ${JSON.stringify(retryAfterSeconds)}`,
    );
  }
}
