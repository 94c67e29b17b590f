import { randomUUID } from 'node:crypto';
import { HOOKS_NAMESPACE, optionalString, parseJsonObject, sendAdoError, sendEmpty, sendJson, stringRecord } from './http-util';
import { pathIs, type RestContext, type RestRoute } from './rest-context';
import { subscriptionBody } from './rest-shapes';
import type { SubscriptionRecord, SubscriptionStatus } from './state';

const STATUSES: readonly SubscriptionStatus[] = ['enabled', 'onProbation', 'disabledByUser', 'disabledBySystem', 'disabledByInactiveIdentity'];
const LIST_FILTERS = ['publisherId', 'eventType', 'consumerId', 'consumerActionId'] as const;

/** `_apis/hooks/subscriptions`: list, create (answers 200), get, replace, delete. */
export const handleHooks: RestRoute = (ctx) => {
  const { segments, method, res, org, orgUrl } = ctx;
  if (pathIs(segments, 'hooks', 'subscriptions')) {
    if (method === 'GET') {
      const subs = [...org.subscriptions.values()].filter((s) =>
        LIST_FILTERS.every((f) => {
          const wanted = ctx.query.get(f);
          return wanted === null || wanted === '' || s[f].toLowerCase() === wanted.toLowerCase();
        }),
      );
      sendJson(res, 200, { count: subs.length, value: subs.map((s) => subscriptionBody(orgUrl, org, s)) });
      return true;
    }
    if (method === 'POST') return createSubscription(ctx);
    return false;
  }
  if (!pathIs(segments, 'hooks', 'subscriptions', null)) return false;
  const id = (segments[2] ?? '').toLowerCase();
  const sub = org.subscriptions.get(id);
  if (!sub) {
    sendAdoError(res, 404, 'SubscriptionNotFoundException', `Subscription ${segments[2]} not found.`, HOOKS_NAMESPACE);
    return true;
  }
  switch (method) {
    case 'GET':
      sendJson(res, 200, subscriptionBody(orgUrl, org, sub));
      return true;
    case 'PUT':
      return replaceSubscription(ctx, sub);
    case 'DELETE':
      org.subscriptions.delete(id);
      sendEmpty(res, 204);
      return true;
    default:
      return false;
  }
};

/** What a client sets; the rest of a SubscriptionRecord is the server's. */
type SubscriptionFields = Pick<
  SubscriptionRecord,
  'publisherId' | 'eventType' | 'resourceVersion' | 'consumerId' | 'consumerActionId' | 'publisherInputs' | 'consumerInputs' | 'status'
>;

/** The body's fields, or a message saying what is missing. */
function fieldsOf(input: Record<string, unknown>): SubscriptionFields | string {
  const required = ['publisherId', 'eventType', 'consumerId', 'consumerActionId'] as const;
  const missing = required.filter((k) => !optionalString(input[k]));
  if (missing.length > 0) return `Subscription is missing ${missing.join(', ')}`;
  const status = optionalString(input.status) ?? 'enabled';
  if (!(STATUSES as readonly string[]).includes(status)) return `Subscription status "${status}" is not one of ${STATUSES.join(', ')}`;
  const publisherInputs = stringRecord(input.publisherInputs);
  // The server fills these in; a client echoing them back does not set them.
  delete publisherInputs.hostId;
  delete publisherInputs.tfsSubscriptionId;
  return {
    publisherId: String(input.publisherId),
    eventType: String(input.eventType),
    resourceVersion: optionalString(input.resourceVersion) ?? null,
    consumerId: String(input.consumerId),
    consumerActionId: String(input.consumerActionId),
    publisherInputs,
    consumerInputs: stringRecord(input.consumerInputs),
    status: status as SubscriptionStatus,
  };
}

function createSubscription(ctx: RestContext): boolean {
  const fields = fieldsOf(parseJsonObject(ctx.body));
  if (typeof fields === 'string') {
    sendAdoError(ctx.res, 400, 'ArgumentException', fields, HOOKS_NAMESPACE);
    return true;
  }
  const now = ctx.state.iso();
  const sub: SubscriptionRecord = {
    id: randomUUID(),
    ...fields,
    probationRetries: 0,
    tfsSubscriptionId: randomUUID(),
    createdDate: now,
    modifiedDate: now,
  };
  ctx.org.subscriptions.set(sub.id, sub);
  sendJson(ctx.res, 200, subscriptionBody(ctx.orgUrl, ctx.org, sub));
  return true;
}

function replaceSubscription(ctx: RestContext, sub: SubscriptionRecord): boolean {
  const fields = fieldsOf(parseJsonObject(ctx.body));
  if (typeof fields === 'string') {
    sendAdoError(ctx.res, 400, 'ArgumentException', fields, HOOKS_NAMESPACE);
    return true;
  }
  // Stored as sent, mask included: nothing documents that ADO keeps the old secret when it gets
  // its own mask back, and if it does not, every later delivery carries "********". A client
  // that echoes a listed subscription must send the real secret.
  // An omitted status means enabled (the enum's default): a PUT is how a probation is lifted.
  if (fields.status === 'enabled') sub.probationRetries = 0;
  Object.assign(sub, fields, { modifiedDate: ctx.state.iso() });
  sendJson(ctx.res, 200, subscriptionBody(ctx.orgUrl, ctx.org, sub));
  return true;
}
