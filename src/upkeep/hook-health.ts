import type { AdoClient } from '../ado/ado-client';
import { sameUrl, type HookSubscription } from '../ado/service-hooks';
import type { ScalerConfig } from '../config/schema';
import type { Logger } from '../log/logger';
import type { Counters } from '../status/counters';

export interface HookHealthDeps {
  readonly config: ScalerConfig;
  ado(orgUrl: string): Promise<AdoClient>;
  readonly counters: Counters;
  readonly log: Logger;
  /** WEBHOOK_URL: recognises our subscriptions by their target. */
  readonly webhookUrl?: string;
  /** WEBHOOK_USERNAME: recognises them by their basic-auth user name when WEBHOOK_URL is not set. */
  readonly webhookUsername?: string;
}

export interface HookHealthReport {
  /** Subscriptions of ours found, over all organizations. */
  readonly subscriptions: number;
  readonly reenabled: ReadonlyArray<{ readonly orgUrl: string; readonly id: string; readonly previousStatus: string }>;
  /** Organizations where none of ours exists: only the reconcile sweep finds their jobs. */
  readonly missing: readonly string[];
  readonly errors: ReadonlyArray<{ readonly orgUrl: string; readonly error: string }>;
}

/**
 * ADO puts a subscription on probation after a failed delivery (and disables it after a 410 or
 * when its creator's identity goes inactive), and drops events meanwhile: jobs then wait for the
 * next sweep. This enables ours again. A subscription a user disabled is left alone, since that
 * was a decision. One organization failing does not stop the others.
 */
export async function checkHookHealth(deps: HookHealthDeps): Promise<HookHealthReport> {
  const isOurs = ours(deps);
  if (!isOurs) {
    deps.log.warn('service hook health: neither WEBHOOK_URL nor WEBHOOK_USERNAME is set, so our subscriptions cannot be recognised; nothing checked');
    return { subscriptions: 0, reenabled: [], missing: [], errors: [] };
  }
  const results = await Promise.all(deps.config.organizations.map((o) => checkOrganization(deps, o.url.url, isOurs)));
  return {
    subscriptions: results.reduce((n, r) => n + r.found, 0),
    reenabled: results.flatMap((r) => r.reenabled),
    missing: results.filter((r) => r.found === 0 && !r.error).map((r) => r.orgUrl),
    errors: results.flatMap((r) => (r.error ? [{ orgUrl: r.orgUrl, error: r.error }] : [])),
  };
}

interface OrgResult {
  readonly orgUrl: string;
  readonly found: number;
  readonly reenabled: Array<{ orgUrl: string; id: string; previousStatus: string }>;
  readonly error?: string;
}

async function checkOrganization(deps: HookHealthDeps, orgUrl: string, isOurs: (s: HookSubscription) => boolean): Promise<OrgResult> {
  const reenabled: OrgResult['reenabled'] = [];
  let found = 0;
  try {
    const ado = await deps.ado(orgUrl);
    const subscriptions = (await ado.jobStateSubscriptions()).filter(isOurs);
    found = subscriptions.length;
    if (found === 0) {
      deps.log.warn(`service hook health: no service hook subscription in ${orgUrl} sends job events to the webhook; jobs wait for the reconcile sweep. Create it with \`npm run hook:create\` (README: Configuring the service hook)`);
    }
    for (const sub of subscriptions) {
      const status = sub.status ?? 'enabled';
      if (status === 'enabled') continue;
      if (status === 'disabledByUser') {
        deps.log.warn(`service hook health: subscription ${sub.id} in ${orgUrl} was disabled by a user and is left so; jobs wait for the reconcile sweep until it is enabled again (\`npm run hook:create\` does)`);
        continue;
      }
      await ado.enableSubscription(sub);
      deps.counters.increment('hookReenabled');
      reenabled.push({ orgUrl, id: sub.id, previousStatus: status });
      deps.log.warn(
        `service hook health: re-enabled subscription ${sub.id} in ${orgUrl} (to ${sub.consumerInputs?.url ?? 'an unknown URL'}), which ADO had set ${status}; events in the meantime were dropped and the reconcile sweep picks up their jobs`,
      );
    }
    return { orgUrl, found, reenabled };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    deps.log.error(`service hook health: ${orgUrl}: ${error}`);
    return { orgUrl, found, reenabled, error };
  }
}

/** By target URL when WEBHOOK_URL is known (exact), otherwise by the basic-auth user name. */
function ours(deps: HookHealthDeps): ((s: HookSubscription) => boolean) | undefined {
  const url = deps.webhookUrl?.trim();
  if (url) return (s) => sameUrl(s.consumerInputs?.url, url);
  const username = deps.webhookUsername?.trim();
  if (username) return (s) => s.consumerInputs?.basicAuthUsername === username;
  return undefined;
}
