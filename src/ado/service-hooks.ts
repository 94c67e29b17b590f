import type { IRestResponse, RestClient } from 'typed-rest-client/RestClient';
import { ScalerError } from '../errors/scaler-error';
import { SERVICE_HOOKS_SCOPE, type AdoScope } from './ado-scopes';

export const JOB_STATE_EVENT = 'ms.vss-pipelines.job-state-changed-event';
const PUBLISHER = 'pipelines';
const API = 'api-version=7.1';
/** How ADO answers secret consumer inputs, and what we print instead of a password. */
export const MASKED = '********';

export interface WebhookSubscriptionInput {
  /** The webhook function's URL, e.g. https://<app>.azurewebsites.net/api/webhook */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Limit to one project (its id); ADO's UI always sets one, the REST API allows none. */
  readonly projectId?: string;
}

/** A write to the hooks API, with the password masked: safe to print. */
export interface SubscriptionRequest {
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface SubscriptionResult {
  /** Empty in a dry run that would create one. */
  readonly id: string;
  readonly action: 'created' | 'updated';
  /** The status ADO had put the subscription in (onProbation, disabledBySystem, ...) before the update enabled it. */
  readonly previousStatus?: string;
  readonly request: SubscriptionRequest;
  readonly dryRun: boolean;
}

/** A subscription as the hooks API lists it (secret consumer inputs come back masked). */
export interface HookSubscription {
  id: string;
  eventType?: string;
  publisherId?: string;
  resourceVersion?: string | null;
  consumerId?: string;
  consumerActionId?: string;
  /** Absent when enabled; otherwise onProbation, disabledBySystem, disabledByUser, disabledByInactiveIdentity, ... */
  status?: string;
  /** While on probation: how many of ADO's probation retries have failed (at 7 it disables the subscription). */
  probationRetries?: number;
  consumerInputs?: Record<string, string>;
  publisherInputs?: Record<string, string>;
}

/** One ADO request through the client's credential handling; `scope` is what it needs (Agent Pools unless said). */
export type AdoCall = <T>(what: string, request: () => Promise<T>, scope?: AdoScope) => Promise<T>;

/** Our event's Web Hooks subscriptions in the organization, whatever their target. */
export async function jobStateSubscriptions(rest: RestClient, call: AdoCall, orgUrl: string): Promise<HookSubscription[]> {
  // The filters keep the answer small in organizations with many subscriptions.
  const query = `publisherId=${PUBLISHER}&eventType=${encodeURIComponent(JOB_STATE_EVENT)}&consumerId=webHooks&${API}`;
  const list = await call(
    'the service hook subscription listing',
    () => rest.get<{ value?: HookSubscription[] }>(`${orgUrl}/_apis/hooks/subscriptions?${query}`),
    SERVICE_HOOKS_SCOPE,
  );
  return (list.result?.value ?? []).filter((s) => s.eventType === JOB_STATE_EVENT && s.consumerId === 'webHooks');
}

/** The basic-auth pair our webhook accepts (WEBHOOK_USERNAME, WEBHOOK_PASSWORD). */
export interface WebhookCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Enables a subscription ADO put on probation or disabled, with the webhook's credentials and
 * otherwise as listed. ADO lists the password masked, and nothing says it keeps the stored one
 * when it gets the mask back: sent back as listed, every later delivery would carry "********".
 */
export async function enableSubscription(rest: RestClient, call: AdoCall, orgUrl: string, sub: HookSubscription, webhook: WebhookCredentials): Promise<void> {
  const fields = subscriptionFields(sub);
  const consumerInputs = { ...sub.consumerInputs, basicAuthUsername: webhook.username, basicAuthPassword: webhook.password };
  const body = { ...fields, consumerInputs, status: 'enabled' };
  await call(
    `the re-enabling of service hook subscription ${sub.id}`,
    () => rest.replace(`${orgUrl}/_apis/hooks/subscriptions/${sub.id}?${API}`, body),
    SERVICE_HOOKS_SCOPE,
  );
}

/**
 * Creates, or brings back in line, the one Web Hooks subscription that sends job state events
 * (every state: waiting, running, completed) to our webhook. Found again by event type, target
 * URL and project, so running it twice leaves one subscription; the update replaces its publisher
 * inputs, so one made when only "waiting" was asked for loses that filter, and it enables one ADO
 * put on probation or disabled. A dry run only reads (the listing) and answers the write it would send.
 */
export async function ensureJobStateSubscription(
  rest: RestClient,
  call: AdoCall,
  orgUrl: string,
  input: WebhookSubscriptionInput,
  options: { dryRun?: boolean } = {},
): Promise<SubscriptionResult> {
  const existing = (await jobStateSubscriptions(rest, call, orgUrl)).find(
    (s) => sameUrl(s.consumerInputs?.url, input.url) && same(s.publisherInputs?.projectId, input.projectId),
  );
  const body = {
    publisherId: PUBLISHER,
    eventType: JOB_STATE_EVENT,
    resourceVersion: '5.1-preview.1',
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    // No jobStateId: every state matters. Waiting adds demand, completed frees capacity (or leaves
    // an agent without work), running takes an idle agent a standby target may want replaced.
    publisherInputs: { ...(input.projectId ? { projectId: input.projectId } : {}) },
    consumerInputs: { url: input.url, basicAuthUsername: input.username, basicAuthPassword: input.password },
  };
  const previousStatus = existing?.status && existing.status !== 'enabled' ? { previousStatus: existing.status } : {};
  const url = existing ? `${orgUrl}/_apis/hooks/subscriptions/${existing.id}?${API}` : `${orgUrl}/_apis/hooks/subscriptions?${API}`;
  const sent = existing ? { ...body, id: existing.id, status: 'enabled' } : body;
  const request: SubscriptionRequest = {
    method: existing ? 'PUT' : 'POST',
    url,
    body: { ...sent, consumerInputs: { ...body.consumerInputs, basicAuthPassword: MASKED } },
  };
  const action = existing ? 'updated' : 'created';
  if (options.dryRun) return { id: existing?.id ?? '', action, ...previousStatus, request, dryRun: true };

  let response: IRestResponse<HookSubscription>;
  if (existing) {
    response = await call('the service hook subscription update', () => rest.replace<HookSubscription>(url, sent), SERVICE_HOOKS_SCOPE);
  } else {
    response = await call('the service hook subscription creation', () => rest.create<HookSubscription>(url, sent), SERVICE_HOOKS_SCOPE);
  }
  const id = response.result?.id ?? existing?.id;
  if (!id) throw new ScalerError('permanent', `Azure DevOps answered the subscription request for ${orgUrl} without an id`);
  return { id, action, ...previousStatus, request, dryRun: false };
}

/** The writable fields of a listed subscription (ADO fills in hostId and tfsSubscriptionId itself). */
function subscriptionFields(sub: HookSubscription): Record<string, unknown> {
  const { hostId: _hostId, tfsSubscriptionId: _tfs, ...publisherInputs } = sub.publisherInputs ?? {};
  return {
    id: sub.id,
    publisherId: sub.publisherId,
    eventType: sub.eventType,
    resourceVersion: sub.resourceVersion ?? null,
    consumerId: sub.consumerId,
    consumerActionId: sub.consumerActionId,
    publisherInputs,
    consumerInputs: sub.consumerInputs ?? {},
  };
}

/** URLs compared as ADO users write them: case-insensitive, trailing slash or not. */
export function sameUrl(a: string | undefined, b: string | undefined): boolean {
  const norm = (u: string | undefined) => (u ?? '').trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) !== '' && norm(a) === norm(b);
}

function same(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
}
