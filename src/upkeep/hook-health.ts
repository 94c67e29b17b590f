import type { AdoClient } from '../ado/ado-client';
import { MissingScopeError, SERVICE_HOOKS_SCOPE } from '../ado/ado-scopes';
import { sameUrl, type HookSubscription, type WebhookCredentials } from '../ado/service-hooks';
import type { ScalerConfig } from '../config/schema';
import { errorMessage } from '../errors/error-message';
import { ScalerError } from '../errors/scaler-error';
import type { Logger } from '../log/logger';
import type { HookCheck } from '../log/telemetry-record';
import type { Counters } from '../metrics/counters';
import { Notices } from './notices';

/** The calls hook health makes, with the organization's credential for service hooks. */
export type HookCalls = Pick<AdoClient, 'jobStateSubscriptions' | 'enableSubscription'>;

export interface HookHealthDeps {
  readonly config: ScalerConfig;
  /** The organization's client for service hooks (`hooksAuth`); undefined when none is configured. */
  hooks(orgUrl: string): Promise<HookCalls | undefined>;
  readonly counters: Counters;
  readonly log: Logger;
  /** WEBHOOK_URL: recognises our subscriptions by their target. */
  readonly webhookUrl?: string;
  /** WEBHOOK_USERNAME: recognises them by their basic-auth user name when WEBHOOK_URL is not set. */
  readonly webhookUsername?: string;
  /** WEBHOOK_PASSWORD: a re-enabled subscription is given it with WEBHOOK_USERNAME (ADO lists it masked). */
  readonly webhookPassword?: string;
  /** What was reported in earlier runs; without it, every run reports afresh. */
  readonly notices?: Notices;
}

export interface HookHealthReport {
  /** Subscriptions of ours found, over all organizations. */
  readonly subscriptions: number;
  readonly reenabled: ReadonlyArray<{ readonly orgUrl: string; readonly id: string; readonly previousStatus: string; readonly probationRetries?: number }>;
  /** Organizations where none of ours exists: only the reconcile sweep finds their jobs. */
  readonly missing: readonly string[];
  /** Organizations not checked: no credential for service hooks, or one without the scope. */
  readonly skipped: ReadonlyArray<{ readonly orgUrl: string; readonly reason: string }>;
  readonly errors: ReadonlyArray<{ readonly orgUrl: string; readonly error: string }>;
  /** Every organization checked, with our subscriptions as listed: upkeep's telemetry record per organization. */
  readonly organizations: readonly HookCheck[];
}

/**
 * ADO puts a subscription on probation after a failed delivery and drops events meanwhile, then
 * retries it on a schedule that stretches to 15 hours, and disables it after a 410 or seven failed
 * probation retries (or when its creator's identity goes inactive): jobs then wait for the next
 * sweep. This enables ours again. A subscription a user disabled is left alone, since that was a
 * decision. One organization failing does not stop the others. Conditions that last (no
 * credential, a missing scope, a subscription a user disabled) are reported once, not every run.
 */
export async function checkHookHealth(deps: HookHealthDeps): Promise<HookHealthReport> {
  const isOurs = ours(deps);
  const notices = deps.notices ?? new Notices();
  if (!isOurs) {
    if (notices.first('unrecognisable')) {
      deps.log.warn('service hook health: neither WEBHOOK_URL nor WEBHOOK_USERNAME is set, so our subscriptions cannot be recognised; nothing checked');
    }
    return { subscriptions: 0, reenabled: [], missing: [], skipped: [], errors: [], organizations: [] };
  }
  const results = await Promise.all(deps.config.organizations.map((o) => checkOrganization(deps, o.url.url, isOurs, notices)));
  return {
    subscriptions: results.reduce((n, r) => n + r.found, 0),
    reenabled: results.flatMap((r) => r.reenabled),
    missing: results.filter((r) => r.found === 0 && !r.error && !r.skipped).map((r) => r.orgUrl),
    skipped: results.flatMap((r) => (r.skipped ? [{ orgUrl: r.orgUrl, reason: r.skipped }] : [])),
    errors: results.flatMap((r) => (r.error ? [{ orgUrl: r.orgUrl, error: r.error }] : [])),
    organizations: results.map((r) => ({
      orgUrl: r.orgUrl,
      ...(r.listed ? { subscriptions: r.listed.map((s) => ({ ...s, reenabled: r.reenabled.some((x) => x.id === s.id) })) } : {}),
      ...(r.skipped ? { skipped: r.skipped } : {}),
      ...(r.error ? { error: r.error } : {}),
    })),
  };
}

interface OrgResult {
  readonly orgUrl: string;
  readonly found: number;
  readonly reenabled: Array<HookHealthReport['reenabled'][number]>;
  readonly skipped?: string;
  readonly error?: string;
  /** Our subscriptions with their statuses as ADO listed them; absent when they were not listed. */
  readonly listed?: ReadonlyArray<{ readonly id: string; readonly status: string }>;
}

async function checkOrganization(deps: HookHealthDeps, orgUrl: string, isOurs: (s: HookSubscription) => boolean, notices: Notices): Promise<OrgResult> {
  const key = (condition: string) => `${orgUrl} ${condition}`;
  const reenabled: OrgResult['reenabled'] = [];
  let found = 0;
  let listed: OrgResult['listed'];
  try {
    const hooks = await deps.hooks(orgUrl);
    if (!hooks) {
      if (notices.first(key('no credential'))) deps.log.warn(noCredential(orgUrl));
      return { orgUrl, found, reenabled, skipped: 'no credential for service hooks (hooksAuth)' };
    }
    const subscriptions = (await hooks.jobStateSubscriptions()).filter(isOurs);
    notices.forget(key('missing scope'));
    found = subscriptions.length;
    listed = subscriptions.map((sub) => ({ id: sub.id, status: sub.status ?? 'enabled' }));
    if (found > 0) notices.forget(key('none'));
    else if (notices.first(key('none'))) {
      deps.log.warn(
        `service hook health: no service hook subscription in ${orgUrl} sends job events to the webhook; jobs wait for the reconcile sweep. Create it with \`npm run hook:create\` (README: Configuring the service hook)`,
      );
    }
    for (const sub of subscriptions) {
      const status = sub.status ?? 'enabled';
      const episode = key(`subscription ${sub.id}`);
      if (status === 'enabled') {
        notices.forgetAll(episode);
        continue;
      }
      if (status === 'disabledByUser') {
        if (notices.first(`${episode} ${status}`)) {
          deps.log.warn(
            `service hook health: subscription ${sub.id} in ${orgUrl} was disabled by a user and is left so; jobs wait for the reconcile sweep until it is enabled again (\`npm run hook:create\` does)`,
          );
        }
        continue;
      }
      await hooks.enableSubscription(sub, webhookCredentials(deps));
      deps.counters.increment('hookReenabled');
      const retries = typeof sub.probationRetries === 'number' ? { probationRetries: sub.probationRetries } : {};
      reenabled.push({ orgUrl, id: sub.id, previousStatus: status, ...retries });
      // A webhook that keeps failing sends it back each run; saying so every minute would bury the first line.
      if (notices.first(`${episode} ${status}`)) deps.log.warn(reenabledLine(orgUrl, sub, status));
    }
    return { orgUrl, found, reenabled, listed };
  } catch (e) {
    const error = errorMessage(e);
    if (e instanceof MissingScopeError) {
      // Checked again every run (a PAT's scopes can be edited in place), reported once.
      if (notices.first(key('missing scope'))) deps.log.error(`service hook health: ${orgUrl}: ${error}`);
      return { orgUrl, found, reenabled, skipped: `the credential for service hooks lacks the scope ${e.scope.label}` };
    }
    deps.log.error(`service hook health: ${orgUrl}: ${error}`);
    return { orgUrl, found, reenabled, error, ...(listed ? { listed } : {}) };
  }
}

function noCredential(orgUrl: string): string {
  return (
    `service hook health: ${orgUrl} is skipped: no credential for service hooks is configured. The pool PAT (auth) is not used for them: ` +
    `it goes into every agent container, and with only Agent Pools (Read & manage) ADO refuses it there. Create a PAT with the scope ` +
    `${SERVICE_HOOKS_SCOPE.label}, store it in Key Vault and set "hooksAuth": {"kind": "pat", "vaultUrl": ..., "secretName": ...} on the organization ` +
    `(README: Credentials and scopes). Until then a subscription ADO puts on probation or disables stays so, and jobs wait for the reconcile sweep.`
  );
}

function reenabledLine(orgUrl: string, sub: HookSubscription, status: string): string {
  const retries = status === 'onProbation' && typeof sub.probationRetries === 'number' ? ` after ${sub.probationRetries} failed probation retries` : '';
  return (
    `service hook health: re-enabled subscription ${sub.id} in ${orgUrl} (to ${sub.consumerInputs?.url ?? 'an unknown URL'}), which ADO had set ${status}${retries}; ` +
    `events in the meantime were dropped and the reconcile sweep picks up their jobs. If it keeps failing, its History (Project settings > Service hooks) shows the webhook's answers`
  );
}

/** What the webhook accepts; without both, re-enabling would send ADO the mask it listed. */
function webhookCredentials(deps: HookHealthDeps): WebhookCredentials {
  const username = deps.webhookUsername?.trim();
  if (!username || !deps.webhookPassword) {
    throw new ScalerError(
      'permanent',
      'a subscription needs re-enabling, but WEBHOOK_USERNAME or WEBHOOK_PASSWORD is not known to upkeep; set both app settings',
    );
  }
  return { username, password: deps.webhookPassword };
}

/** By target URL when WEBHOOK_URL is known (exact), otherwise by the basic-auth user name; undefined when neither is set. */
export function ours(deps: Pick<HookHealthDeps, 'webhookUrl' | 'webhookUsername'>): ((s: HookSubscription) => boolean) | undefined {
  const url = deps.webhookUrl?.trim();
  if (url) return (s) => sameUrl(s.consumerInputs?.url, url);
  const username = deps.webhookUsername?.trim();
  if (username) return (s) => s.consumerInputs?.basicAuthUsername === username;
  return undefined;
}
