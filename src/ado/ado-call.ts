import { adoHttpFailure } from '../errors/ado-http-error';
import { ScalerError } from '../errors/scaler-error';
import { systemClock, type Clock } from '../time/clock';
import type { AdoCredential } from './ado-credential';
import { AGENT_POOLS_SCOPE, MissingScopeError, type AdoScope } from './ado-scopes';

export interface RetryBudget {
  /** Longest total time one call may spend waiting on Retry-After before it gives up as throttled. */
  readonly maxWaitMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudget = { maxWaitMs: 30_000, maxAttempts: 4 };

export interface CallOptions {
  readonly budget?: RetryBudget;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Reads a Retry-After given as an HTTP date. */
  readonly now?: Clock;
  /** What the call needs of the credential; Agent Pools (Read & manage) unless said. */
  readonly scope?: AdoScope;
  /**
   * Whether ADO accepts the current credential at all, asked with a call that needs no scope.
   * Without it, every 401 counts as a rejected credential.
   */
  readonly accepted?: () => Promise<boolean>;
}

/**
 * Runs one ADO request with the org's current credential. ADO answers 401 both to a credential it
 * rejects and to one that lacks the call's scope, so a 401 first asks whether the credential is
 * accepted at all: if it is, the scope is missing, which no secret read can fix, and the error
 * says which scope. Otherwise the credential is refreshed once (the PAT may have been rotated in
 * Key Vault). 429 and 503 wait for Retry-After within the budget and then fail as throttled, so
 * no caller hot-loops on a throttled organization.
 */
export async function callAdo<T>(
  what: string,
  credential: AdoCredential,
  setAuthorization: (header: string) => void,
  request: () => Promise<T>,
  options: CallOptions = {},
): Promise<T> {
  const budget = options.budget ?? DEFAULT_RETRY_BUDGET;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const scope = options.scope ?? AGENT_POOLS_SCOPE;
  let refreshed = false;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    const used = await credential.authorization();
    setAuthorization(used);
    try {
      return await request();
    } catch (e) {
      const failure = adoHttpFailure(e, options.now ?? systemClock);
      const status = failure.status;
      // Another call may have refreshed the credential since this one was sent: try the new one
      // before asking whether ADO accepts it, or the answer would be about a different credential.
      if (status === 401 && !refreshed && (await credential.authorization()) !== used) {
        refreshed = true;
        continue;
      }
      if (status === 401 && (await accepted(options.accepted)) && (await credential.authorization()) === used) {
        throw new MissingScopeError(credential.missingScope?.(what, scope) ?? missingScope(what, credential, scope), scope, e);
      }
      if (status === 401 && !refreshed) {
        refreshed = true;
        await credential.refresh();
        continue;
      }
      if (status === 401 || status === 403) {
        const rejected = status === 401 ? credential.rejected?.(what, scope) : undefined;
        throw new ScalerError(
          'permanent',
          rejected ?? `Azure DevOps refused ${what} (${status}): check that ${credential.description} is valid, not expired, and has the scope ${scope.label}`,
          { status, cause: e },
        );
      }
      if (status === 429 || status === 503) {
        const retryAfterMs = failure.retryAfterMs ?? 5_000;
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
        throw new ScalerError('permanent', `Azure DevOps rejected ${what} (${status}): ${failure.message}`, { status, cause: e });
      }
      throw new ScalerError('transient', `Azure DevOps failed ${what} (${status ?? failure.code ?? 'network error'}); will retry`, {
        ...(status !== undefined ? { status } : {}),
        cause: e,
      });
    }
  }
}

/** A failed probe (network, 5xx) proves nothing: the 401 is then taken for a rejected credential, as before. */
async function accepted(probe: (() => Promise<boolean>) | undefined): Promise<boolean> {
  if (!probe) return false;
  try {
    return await probe();
  } catch {
    return false;
  }
}

function missingScope(what: string, credential: AdoCredential, scope: AdoScope): string {
  return `Azure DevOps refused ${what} (401) to ${credential.description}, which it accepts for other calls: it lacks the scope ${scope.label} (${scope.id}); add that scope`;
}
