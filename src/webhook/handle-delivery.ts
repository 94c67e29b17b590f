import { orgKeyOf } from '../config/org-url';
import type { OrganizationConfig } from '../config/schema';
import { errorMessage } from '../errors/error-message';
import type { Logger } from '../log/logger';
import type { PoolSignal } from '../queue/pool-signal';
import type { SignalQueue } from '../queue/signal-queue';
import type { Counters } from '../metrics/counters';
import type { Clock } from '../time/clock';
import { isAuthorized, type BasicCredentials } from './basic-auth';
import { clip, echo } from './echo';
import { readServiceHookEvent } from './job-state-event';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface DeliveryInput {
  readonly authorization: string | null;
  readonly contentType: string | null;
  /** The body, or 'tooLarge' when it passed MAX_BODY_BYTES while being read. */
  readonly body: Buffer | 'tooLarge';
}

export interface DeliveryResult {
  readonly status: number;
  readonly body: { readonly outcome: 'accepted' | 'ignored' | 'rejected' | 'unavailable'; readonly reason: string };
}

export interface WebhookDeps {
  readonly credentials: BasicCredentials;
  readonly organizations: readonly OrganizationConfig[];
  readonly signals: SignalQueue;
  readonly counters: Counters;
  readonly log: Logger;
  readonly now: Clock;
}

/**
 * Turns one service hook delivery into a "needs a look" signal for every managed pool of its
 * organization (the event names no pool), without calling ADO: a job waiting adds demand, a job
 * completed frees capacity or leaves an agent without work, a job running takes an idle agent,
 * which matters only where a standby target wants it replaced.
 * Status codes speak ADO's language (docs/design.md, invariant 7): ADO retries 408/502/503/504 and puts
 * the subscription on probation for anything else, so an understood delivery gets a 2xx even when
 * ignored, bad input a 4xx whatever it holds, and a failure on our side is a 503, never a 500.
 * Whatever a delivery holds reaches a reason or the log only through `echo`: bounded, one line.
 */
export async function handleDelivery(input: DeliveryInput, deps: WebhookDeps): Promise<DeliveryResult> {
  try {
    return await answer(input, deps);
  } catch (e) {
    // A bug of ours must not cost the subscription its standing: 503 makes ADO retry.
    deps.log.error(`webhook: unexpected failure: ${clip(errorMessage(e))}`);
    return { status: 503, body: { outcome: 'unavailable', reason: 'internal error; ADO will retry the delivery' } };
  }
}

async function answer(input: DeliveryInput, deps: WebhookDeps): Promise<DeliveryResult> {
  const reject = (status: number, reason: string): DeliveryResult => {
    deps.counters.increment('webhookRejected');
    deps.log.warn(`webhook: rejected delivery (${status}): ${reason}`);
    return { status, body: { outcome: 'rejected', reason } };
  };
  const ignore = (reason: string): DeliveryResult => {
    deps.counters.increment('webhookIgnored');
    return { status: 200, body: { outcome: 'ignored', reason } };
  };

  if (!isAuthorized(input.authorization, deps.credentials)) {
    return reject(401, "missing or wrong basic-auth credentials; set the subscription's user name and password to WEBHOOK_USERNAME / WEBHOOK_PASSWORD");
  }
  if (input.body === 'tooLarge') return reject(413, `body larger than ${MAX_BODY_BYTES} bytes; a job state event is a few KB`);
  if (input.contentType && !/^application\/(.+\+)?json\b/i.test(input.contentType.trim())) {
    return reject(415, `content type ${echo(input.contentType)} is not JSON; send application/json`);
  }
  let text: string;
  try {
    // Strict: a byte that is not UTF-8 is an error, not a silent U+FFFD; a leading BOM is dropped.
    text = new TextDecoder('utf-8', { fatal: true }).decode(input.body);
  } catch {
    const utf16 = input.body.length >= 2 && ((input.body[0] === 0xff && input.body[1] === 0xfe) || (input.body[0] === 0xfe && input.body[1] === 0xff));
    return reject(400, `body is ${utf16 ? 'UTF-16' : 'not valid UTF-8'}; send the JSON as UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reject(400, 'body is not JSON; send the service hook event as JSON');
  }
  const event = readServiceHookEvent(json);
  if (event.kind === 'invalid') return reject(400, event.reason);
  if (event.kind !== 'job') return ignore(event.reason);
  const { jobId, state } = event;

  const org = matchOrganization(event.organizationHints, deps.organizations);
  if (!org) {
    deps.log.warn(`webhook: job ${jobId} comes from an organization that is not in the config; add it or remove the subscription`);
    return ignore('organization not managed by this scaler');
  }
  if (state === 'running' && !org.pools.some((p) => p.profiles.some((x) => x.standby.length > 0))) {
    return ignore('job running: without a standby target an agent taking a job changes nothing to start or stop');
  }

  const observedAt = new Date(deps.now()).toISOString();
  const signals = org.pools.map((p): PoolSignal => ({
    version: 2,
    orgUrl: org.url.url,
    pool: p.name,
    reason: 'event',
    ...(state === 'waiting' ? { jobId } : {}),
    observedAt,
  }));
  try {
    await deps.signals.signal(signals);
  } catch (e) {
    deps.log.error(`webhook: could not signal the pools of ${org.url.url} for job ${jobId}: ${clip(errorMessage(e))}`);
    return { status: 503, body: { outcome: 'unavailable', reason: 'signal queue unavailable; ADO will retry the delivery' } };
  }
  deps.counters.increment('webhookAccepted');
  return { status: 202, body: { outcome: 'accepted', reason: `job ${state}: ${signals.length} pool(s) signalled` } };
}

function matchOrganization(hints: readonly string[], organizations: readonly OrganizationConfig[]): OrganizationConfig | undefined {
  for (const hint of hints) {
    const key = orgKeyOf(hint);
    const exact = key && organizations.find((o) => o.url.key === key);
    if (exact) return exact;
    // Links point below the organization (…/{org}/{project}/_build/…): match by prefix.
    const lower = hint.toLowerCase();
    const prefixed = organizations.find((o) => lower.startsWith(`${o.url.key}/`));
    if (prefixed) return prefixed;
  }
  return undefined;
}
