import { randomUUID } from 'node:crypto';
import { JOB_EVENT_PUBLISHER, JOB_EVENT_TYPE, jobStateChangedEvent, type HookJobState } from './job-event';
import type { EmulatorState, JobRecord, OrgRecord, SubscriptionRecord } from './state';
import type { DeliveryLogEntry, DeliveryOutcome, HookLossOptions } from './types';

/** ADO retries these (and connection failures); any other non-2xx puts the subscription on probation. */
const RETRYABLE = new Set([408, 502, 503, 504]);

export interface HookDeliveryOptions {
  readonly retryDelaysMs: readonly number[];
  readonly timeoutMs: number;
  readonly orgUrl: (org: OrgRecord) => string;
  /** A lossy network: deliveries lost or duplicated at random; absent, every delivery goes once. */
  readonly loss?: HookLossOptions;
}

/** What the network does to one delivery. */
type Fate = 'lost' | 'once' | 'twice';

interface Attempt {
  readonly status: number | null;
  readonly error?: string;
}

/** Delivers job-state-changed events to webHooks subscriptions by ADO's rules. */
export class HookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stop = new AbortController();

  constructor(
    private readonly state: EmulatorState,
    private readonly options: HookDeliveryOptions,
  ) {}

  /**
   * Starts one delivery per enabled matching subscription (none when `hookLoss` loses it, two
   * when it duplicates it); answers how many were started.
   */
  publish(job: JobRecord, jobState: HookJobState): number {
    const org = this.state.org(job.orgName);
    const project = org.projects.find((p) => p.id === job.projectId);
    if (!project) return 0;
    let started = 0;
    for (const sub of org.subscriptions.values()) {
      if (!matches(sub, job, jobState, project.name)) continue;
      const notificationId = org.nextNotificationId++;
      const eventId = randomUUID();
      const notSent = (outcome: DeliveryOutcome, error: string) =>
        this.state.deliveryLog.push({
          subscriptionId: sub.id,
          url: sub.consumerInputs.url ?? '',
          eventId,
          notificationId,
          requestId: job.requestId,
          jobId: job.jobId,
          jobState,
          attempt: 0,
          status: null,
          error,
          outcome,
          time: this.state.iso(),
        });
      if (sub.status !== 'enabled') {
        // Logged so a test can see the event ADO would lose to the probation.
        notSent('dropped', `subscription is ${sub.status}`);
        continue;
      }
      const fate = this.fate();
      if (fate === 'lost') {
        notSent('lost', 'lost on the way (hookLoss)');
        continue;
      }
      const body = jobStateChangedEvent({
        subscriptionId: sub.id,
        notificationId,
        eventId,
        orgUrl: this.options.orgUrl(org),
        org,
        project,
        job,
        state: jobState,
        createdDate: this.state.iso(),
      });
      this.start(org, sub, body, job, jobState, false);
      started++;
      if (fate === 'twice') {
        // The same event again, on its own schedule: ADO's at-least-once delivery.
        this.start(org, sub, body, job, jobState, true);
        started++;
      }
    }
    return started;
  }

  /** Resolves once every delivery started so far, retries included, has ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.stop.abort();
  }

  /** One draw for the loss, and for a delivery not lost one more for the duplicate. */
  private fate(): Fate {
    const loss = this.options.loss;
    if (!loss) return 'once';
    const random = loss.random ?? Math.random;
    if (random() < loss.lossRate) return 'lost';
    return random() < loss.duplicateRate ? 'twice' : 'once';
  }

  private start(org: OrgRecord, sub: SubscriptionRecord, body: Record<string, unknown>, job: JobRecord, jobState: HookJobState, duplicate: boolean): void {
    const delivery = this.deliver(org, sub, body, job, jobState, duplicate).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  private async deliver(org: OrgRecord, sub: SubscriptionRecord, body: Record<string, unknown>, job: JobRecord, jobState: HookJobState, duplicate: boolean): Promise<void> {
    const text = JSON.stringify(body);
    const base = {
      subscriptionId: sub.id,
      eventId: String(body.id),
      notificationId: Number(body.notificationId),
      requestId: job.requestId,
      jobId: job.jobId,
      jobState,
    };
    for (let attempt = 1; !this.stop.signal.aborted; attempt++) {
      const url = sub.consumerInputs.url ?? '';
      const log = (outcome: DeliveryOutcome, result: Attempt) =>
        this.state.deliveryLog.push({ ...base, url, attempt, ...result, outcome, time: this.state.iso(), ...(duplicate ? { duplicate } : {}) } satisfies DeliveryLogEntry);
      // A subscription put on probation (or deleted) meanwhile gets nothing more: ADO drops the event.
      if (org.subscriptions.get(sub.id) !== sub || sub.status !== 'enabled') {
        log('dropped', { status: null, error: `subscription is ${org.subscriptions.has(sub.id) ? sub.status : 'deleted'}` });
        return;
      }
      const result = await this.post(url, sub.consumerInputs, text);
      if (this.stop.signal.aborted) return;
      if (result.status !== null && result.status >= 200 && result.status < 300) {
        log('delivered', result);
        return;
      }
      if (result.status === 410) {
        this.setStatus(sub, 'disabledBySystem');
        log('disabled', result);
        return;
      }
      const delay = this.options.retryDelaysMs[attempt - 1];
      if ((result.status !== null && !RETRYABLE.has(result.status)) || delay === undefined) {
        this.setStatus(sub, 'onProbation');
        log('probation', result);
        return;
      }
      log('retrying', result);
      if (!(await this.sleep(delay))) return;
    }
  }

  private setStatus(sub: SubscriptionRecord, status: SubscriptionRecord['status']): void {
    if (status === 'onProbation') sub.probationRetries += 1;
    sub.status = status;
    sub.modifiedDate = this.state.iso();
  }

  private async post(url: string, inputs: Record<string, string>, body: string): Promise<Attempt> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    for (const line of (inputs.httpHeaders ?? '').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    if (inputs.basicAuthUsername || inputs.basicAuthPassword) {
      const pair = `${inputs.basicAuthUsername ?? ''}:${inputs.basicAuthPassword ?? ''}`;
      headers.Authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
    const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    try {
      const response = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
      await response.arrayBuffer().catch(() => undefined);
      return { status: response.status };
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { status: null, error: `${err instanceof Error ? err.message : String(err)}${cause}` };
    }
  }

  /** False when the emulator closed meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.stop.signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      this.stop.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Event type, consumer and the publisher inputs ADO filters this event by (empty = any). */
function matches(sub: SubscriptionRecord, job: JobRecord, jobState: HookJobState, projectName: string): boolean {
  if (sub.eventType !== JOB_EVENT_TYPE || sub.publisherId !== JOB_EVENT_PUBLISHER) return false;
  if (sub.consumerId !== 'webHooks' || sub.consumerActionId !== 'httpRequest') return false;
  const input = (name: string) => (sub.publisherInputs[name] ?? '').trim().toLowerCase();
  const is = (name: string, ...values: string[]) => input(name) === '' || values.some((v) => v.toLowerCase() === input(name));
  return (
    is('projectId', job.projectId, projectName) &&
    is('pipelineId', String(job.definitionId)) &&
    is('stageNameId', job.stageName) &&
    is('jobNameId', job.jobName) &&
    is('jobStateId', jobState) &&
    (input('jobResultId') === '' || (jobState === 'completed' && is('jobResultId', job.result ?? '')))
  );
}
