import { randomUUID } from 'node:crypto';
import type { Fault } from '../core/faults';

/** An injected fault (matching rules in emulators/core/faults.ts); `message` replaces the default. */
export type IdentityFault = Fault<{ readonly message?: string }>;

/**
 * The App Service endpoint's error body as captured when it failed (Azure/azure-sdk-for-net#44685,
 * Azure/azure-functions-host#9884): `{statusCode, message, correlationId}` and X-CORRELATION-ID.
 * The 500 message is the service's own, misspelling included; the others follow its pattern.
 */
export function faultAnswer(fault: IdentityFault): { status: number; body: object; headers: Record<string, string> } {
  const correlationId = randomUUID();
  const message =
    fault.message ??
    (fault.status === 500
      ? 'An unexpected error occured while fetching the AAD Token.'
      : `The managed identity endpoint answered ${fault.status} (injected fault).`);
  return {
    status: fault.status,
    body: { statusCode: fault.status, message, correlationId },
    headers: { 'x-correlation-id': correlationId, ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}) },
  };
}
