import type { IRestResponse, RestClient } from 'typed-rest-client/RestClient';
import { ScalerError } from '../errors/scaler-error';

export const JOB_STATE_EVENT = 'ms.vss-pipelines.job-state-changed-event';
const API = 'api-version=7.1';

export interface WebhookSubscriptionInput {
  /** The webhook function's URL, e.g. https://<app>.azurewebsites.net/api/webhook */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Limit to one project; ADO's UI always sets one, the REST API allows any. */
  readonly projectId?: string;
}

export interface SubscriptionResult {
  readonly id: string;
  readonly action: 'created' | 'updated';
}

interface Subscription {
  id: string;
  eventType?: string;
  publisherId?: string;
  status?: string;
  consumerInputs?: Record<string, string>;
  publisherInputs?: Record<string, string>;
}

export type AdoCall = <T>(what: string, request: () => Promise<T>) => Promise<T>;

/**
 * Creates, or brings back in line, the one Web Hooks subscription that sends "job waiting"
 * events to our webhook. Found again by event type and target URL, so running it twice leaves
 * one subscription; an update also re-enables one ADO put on probation.
 */
export async function ensureJobStateSubscription(rest: RestClient, call: AdoCall, orgUrl: string, input: WebhookSubscriptionInput): Promise<SubscriptionResult> {
  const list = await call('the service hook subscription listing', () =>
    rest.get<{ value?: Subscription[] }>(`${orgUrl}/_apis/hooks/subscriptions?${API}`),
  );
  const existing = (list.result?.value ?? []).find(
    (s) => s.eventType === JOB_STATE_EVENT && s.consumerInputs?.url?.toLowerCase() === input.url.toLowerCase(),
  );
  const body = {
    publisherId: 'pipelines',
    eventType: JOB_STATE_EVENT,
    resourceVersion: '5.1-preview.1',
    consumerId: 'webHooks',
    consumerActionId: 'httpRequest',
    publisherInputs: { jobStateId: 'Waiting', ...(input.projectId ? { projectId: input.projectId } : {}) },
    consumerInputs: { url: input.url, basicAuthUsername: input.username, basicAuthPassword: input.password },
  };
  let response: IRestResponse<Subscription>;
  if (existing) {
    // A PUT without "status" is how a subscription on probation is enabled again.
    response = await call('the service hook subscription update', () =>
      rest.replace<Subscription>(`${orgUrl}/_apis/hooks/subscriptions/${existing.id}?${API}`, { ...body, id: existing.id }),
    );
  } else {
    response = await call('the service hook subscription creation', () => rest.create<Subscription>(`${orgUrl}/_apis/hooks/subscriptions?${API}`, body));
  }
  const id = response.result?.id ?? existing?.id;
  if (!id) throw new ScalerError('permanent', `Azure DevOps answered the subscription request for ${orgUrl} without an id`);
  return { id, action: existing ? 'updated' : 'created' };
}
