import { MissingScopeError } from '../ado/ado-scopes';
import type { HookSubscription } from '../ado/service-hooks';
import type { ScalerConfig } from '../config/schema';
import { errorMessage } from '../errors/error-message';
import { ours, type HookCalls } from '../upkeep/hook-health';

export type HookTone = 'ok' | 'warning' | 'error' | 'unknown';

/** One organization's service hook, as ADO lists it now: read only, nothing is re-enabled here (upkeep does that). */
export interface OrgHookStatus {
  readonly orgUrl: string;
  readonly tone: HookTone;
  readonly summary: string;
  readonly subscriptions: ReadonlyArray<{ readonly id: string; readonly status: string; readonly probationRetries?: number }>;
}

export interface HookStatusDeps {
  readonly config: ScalerConfig;
  /** The organization's client for service hooks (`hooksAuth`); undefined when none is configured. */
  hooks(orgUrl: string): Promise<Pick<HookCalls, 'jobStateSubscriptions'> | undefined>;
  readonly webhookUrl?: string;
  readonly webhookUsername?: string;
}

/**
 * Reads each organization's job-event subscriptions with the credential for service hooks (one
 * ADO call per organization that has one) and says whether ours delivers. Where there is no
 * such credential, nothing is read and the dashboard says so.
 */
export async function hookStatus(deps: HookStatusDeps): Promise<OrgHookStatus[]> {
  const isOurs = ours(deps);
  return Promise.all(
    deps.config.organizations.map(async ({ url: { url: orgUrl } }): Promise<OrgHookStatus> => {
      if (!isOurs) return unknown(orgUrl, 'not checked: neither WEBHOOK_URL nor WEBHOOK_USERNAME is set, so our subscription cannot be told apart');
      try {
        const hooks = await deps.hooks(orgUrl);
        if (!hooks) return unknown(orgUrl, 'not checked: no credential for service hooks (hooksAuth) is configured');
        return hookStatusOf(orgUrl, (await hooks.jobStateSubscriptions()).filter(isOurs));
      } catch (e) {
        if (e instanceof MissingScopeError) return unknown(orgUrl, `not checked: the credential for service hooks lacks the scope ${e.scope.label}`);
        return { orgUrl, tone: 'error', summary: `could not be read: ${errorMessage(e)}`, subscriptions: [] };
      }
    }),
  );
}

/** What our subscriptions' statuses mean for jobs: the worst of them decides the tone. */
export function hookStatusOf(orgUrl: string, subscriptions: readonly HookSubscription[]): OrgHookStatus {
  const listed = subscriptions.map((s) => ({
    id: s.id,
    status: s.status ?? 'enabled',
    ...(typeof s.probationRetries === 'number' ? { probationRetries: s.probationRetries } : {}),
  }));
  const base = { orgUrl, subscriptions: listed };
  if (listed.length === 0) {
    return { ...base, tone: 'error', summary: 'no subscription sends job events to the webhook: jobs wait for the reconcile sweep (npm run hook:create)' };
  }
  const probation = listed.find((s) => s.status === 'onProbation');
  const byUser = listed.find((s) => s.status === 'disabledByUser');
  const disabled = listed.find((s) => s.status !== 'enabled' && s.status !== 'onProbation' && s.status !== 'disabledByUser');
  if (disabled) return { ...base, tone: 'error', summary: `${disabled.status}: ADO sends no events; upkeep enables it again at its next run` };
  if (byUser) return { ...base, tone: 'warning', summary: 'disabled by a user and left so: jobs wait for the reconcile sweep' };
  if (probation) {
    const retries = probation.probationRetries !== undefined ? ` after ${probation.probationRetries} failed probation retries` : '';
    return { ...base, tone: 'warning', summary: `on probation${retries}: ADO drops events meanwhile; upkeep enables it again at its next run` };
  }
  return { ...base, tone: 'ok', summary: listed.length === 1 ? 'enabled' : `${listed.length} subscriptions, all enabled` };
}

function unknown(orgUrl: string, summary: string): OrgHookStatus {
  return { orgUrl, tone: 'unknown', summary, subscriptions: [] };
}
