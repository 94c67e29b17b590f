import { describeValue, echo } from './echo';

export const JOB_STATE_CHANGED = 'ms.vss-pipelines.job-state-changed-event';

/** ADO writes job ids as GUIDs; anything else is not a job this scaler can look for. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Job states as deliveries spell them, in lower case: real events say `inProgress` for a running
 * job (the subscription filter and older samples say Running), so both mean running.
 */
const STATES: Readonly<Record<string, JobState>> = { waiting: 'waiting', running: 'running', inprogress: 'running', completed: 'completed' };

export type JobState = 'waiting' | 'running' | 'completed';

/** Links and container URLs read for the organization, at most: a delivery cannot make us parse thousands. */
const MAX_HINTS = 16;

const FIX = 'send the event as ADO writes it';

export type ServiceHookEvent =
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'otherEvent'; readonly reason: string }
  | { readonly kind: 'otherState'; readonly reason: string }
  | { readonly kind: 'job'; readonly jobId: string; readonly state: JobState; readonly organizationHints: readonly string[] };

/**
 * Reads a parsed delivery. Only what the webhook uses is checked (event type, job id, job state)
 * and only there can a delivery be invalid: a field it does not read never turns an event ADO
 * sent into a 400, whatever ADO puts there next. Properties are read as the body's own, so a
 * `__proto__` key is just another unknown key.
 */
export function readServiceHookEvent(json: unknown): ServiceHookEvent {
  if (!isRecord(json)) return { kind: 'invalid', reason: `body is ${describeValue(json)}, not a service hook event (a JSON object with eventType); ${FIX}` };
  const eventType = field(json, 'eventType');
  if (typeof eventType !== 'string' || eventType === '') {
    return { kind: 'invalid', reason: `eventType must name the event, e.g. "${JOB_STATE_CHANGED}", not ${describeValue(eventType)}; ${FIX}` };
  }
  if (eventType !== JOB_STATE_CHANGED) return { kind: 'otherEvent', reason: `event type ${echo(eventType)} is not ${JOB_STATE_CHANGED}` };

  const resource = field(json, 'resource');
  const job = field(resource, 'job');
  if (!isRecord(job)) return { kind: 'invalid', reason: `resource.job must be the job object, not ${describeValue(job)}; ${FIX}` };
  const id = field(job, 'id');
  if (typeof id !== 'string' || !JOB_ID.test(id)) {
    return { kind: 'invalid', reason: `resource.job.id must be the job's GUID, e.g. d3d3d3d3-eeee-ffff-aaaa-b4b4b4b4b4b4, not ${describeValue(id)}; ${FIX}` };
  }
  const state = field(job, 'state');
  if (typeof state !== 'string' || state === '') {
    return { kind: 'invalid', reason: `resource.job.state must be the job's state, e.g. "waiting", not ${describeValue(state)}; ${FIX}` };
  }
  const known = Object.hasOwn(STATES, state.toLowerCase()) ? STATES[state.toLowerCase()] : undefined;
  if (!known) return { kind: 'otherState', reason: `job state ${echo(state)} is none of waiting, running (inProgress), completed` };
  return { kind: 'job', jobId: id, state: known, organizationHints: organizationHints(json, resource, job) };
}

/** Every URL in the delivery that can tell which organization sent it, best first. */
function organizationHints(event: Record<string, unknown>, resource: unknown, job: Record<string, unknown>): string[] {
  const containers = field(event, 'resourceContainers');
  const hrefs = (links: unknown) =>
    isRecord(links)
      ? Object.values(links)
          .slice(0, MAX_HINTS)
          .map((l) => field(l, 'href'))
      : [];
  return [
    field(field(containers, 'account'), 'baseUrl'),
    field(field(containers, 'collection'), 'baseUrl'),
    field(field(resource, 'pipeline'), 'url'),
    ...hrefs(field(job, '_links')),
    ...hrefs(field(field(resource, 'run'), '_links')),
  ]
    .filter((u): u is string => typeof u === 'string' && u.length > 0)
    .slice(0, MAX_HINTS);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An own property, never one inherited. */
function field(value: unknown, key: string): unknown {
  return isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}
