import { ScalerError } from '../errors/scaler-error';
import type { AdoCredential } from './ado-credential';

export interface RetryBudget {
  /** Longest total time one call may spend waiting on Retry-After before it gives up as throttled. */
  readonly maxWaitMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudget = { maxWaitMs: 30_000, maxAttempts: 4 };

interface HttpFailure {
  statusCode?: number;
  responseHeaders?: Record<string, string | string[] | undefined>;
  code?: string;
}

/**
 * Runs one ADO request with the org's current credential. A 401 refreshes the credential once
 * (the PAT may have been rotated in Key Vault); 429 and 503 wait for Retry-After within the
 * budget and then fail as throttled, so no caller hot-loops on a throttled organization.
 */
export async function callAdo<T>(
  what: string,
  credential: AdoCredential,
  setAuthorization: (header: string) => void,
  request: () => Promise<T>,
  options: { budget?: RetryBudget; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T> {
  const budget = options.budget ?? DEFAULT_RETRY_BUDGET;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let refreshed = false;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    setAuthorization(await credential.authorization());
    try {
      return await request();
    } catch (e) {
      const failure = e as HttpFailure;
      const status = failure.statusCode;
      if (status === 401 && !refreshed) {
        refreshed = true;
        await credential.refresh();
        continue;
      }
      if (status === 401 || status === 403) {
        const rejected = status === 401 ? credential.rejected?.(what) : undefined;
        throw new ScalerError(
          'permanent',
          rejected ?? `Azure DevOps refused ${what} (${status}): check that ${credential.description} is valid, not expired, and has Agent Pools (read & manage) scope`,
          { status, cause: e },
        );
      }
      if (status === 429 || status === 503) {
        const retryAfterMs = retryAfter(failure.responseHeaders) ?? 5_000;
        if (attempt < budget.maxAttempts && waited + retryAfterMs <= budget.maxWaitMs) {
          waited += retryAfterMs;
          await sleep(retryAfterMs);
          continue;
        }
        throw new ScalerError('throttled', `Azure DevOps throttled ${what} (${status}); retry after ${Math.ceil(retryAfterMs / 1000)} s`, {
          status,
          retryAfterMs,
          cause: e,
        });
      }
      if (status !== undefined && status < 500 && status !== 408) {
        throw new ScalerError('permanent', `Azure DevOps rejected ${what} (${status}): ${messageOf(e)}`, { status, cause: e });
      }
      throw new ScalerError('transient', `Azure DevOps failed ${what} (${status ?? failure.code ?? 'network error'}); will retry`, {
        ...(status !== undefined ? { status } : {}),
        cause: e,
      });
    }
  }
}

/** Retry-After is seconds or an HTTP date. */
export function retryAfter(headers: HttpFailure['responseHeaders'], now: () => number = Date.now): number | undefined {
  const raw = headers?.['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
