import type { Fault } from '../core/faults';
import { errorBody, type KeyVaultErrorBody } from './secret-shapes';

/**
 * An injected fault (matching rules in emulators/core/faults.ts), answered in Key Vault's error
 * shape unless `code` or `message` say otherwise.
 */
export type KeyVaultFault = Fault<{ readonly code?: string; readonly message?: string }>;

/** Also the answer of `setAvailable(false)`. */
export const UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable. Please retry the request.';

/**
 * Key Vault's words per status. The 429 is Key Vault's throttling answer as captured from the
 * service (vcsjones/AzureSignTool#219), which carried no Retry-After: so Retry-After is sent only
 * when the fault gives `retryAfterSeconds`, and a client without it must back off on its own.
 */
const DEFAULTS: Record<number, { code: string; message: string; inner?: string }> = {
  401: { code: 'Unauthorized', message: 'AKV10032: Invalid issuer.' },
  403: {
    code: 'Forbidden',
    message:
      'Caller is not authorized to perform action on resource. If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
    inner: 'ForbiddenByRbac',
  },
  429: { code: 'Throttled', message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached' },
  500: { code: 'InternalServerError', message: 'An unexpected error occurred. Please retry the request.' },
  503: { code: 'ServiceUnavailable', message: UNAVAILABLE_MESSAGE },
};

export function faultAnswer(fault: KeyVaultFault): { status: number; body: KeyVaultErrorBody; headers: Record<string, string> } {
  const base = DEFAULTS[fault.status] ?? {
    code: fault.status >= 500 ? 'InternalServerError' : 'BadParameter',
    message: `Injected fault: the vault answered ${fault.status}.`,
  };
  const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
  return { status: fault.status, body: errorBody(fault.code ?? base.code, fault.message ?? base.message, fault.code ? undefined : base.inner), headers };
}
