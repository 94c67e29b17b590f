import { randomUUID } from 'node:crypto';
import { JOB_EVENT_PUBLISHER, JOB_EVENT_TYPE, jobStateChangedEvent, type HookJobState } from './job-event';
import { realTimers, type HookTimers } from './hook-timers';
import type { EmulatorState, JobRecord, OrgRecord, SubscriptionRecord } from './state';
import type { DeliveryLogEntry, DeliveryOutcome, HookLossOptions } from './types';

/** Transient failures: ADO retries these (and connection failures) on the retry schedule. */
const RETRYABLE = new Set([408, 502, 503, 504]);
/** The terminal failure: the subscription is disabled whatever its state. */
const GONE = 410;

export interface HookDeliveryOptions {
  readonly retryDelaysMs: readonly number[];
  /** Waits before each retry of a subscription on probation; when the last fails, it is disabledBySystem. */
  readonly probationDelaysMs: readonly number[];
  readonly timeoutMs: number;
  readonly orgUrl: (org: OrgRecord) => string;
  /** A lossy network: deliveries lost or duplicated at random; absent, every delivery goes once. */
  readonly loss?: HookLossOptions;
  /** A clock the test moves; absent, real timers, whose waits `settled()` includes. */
  readonly timers?: HookTimers;
}

/** What the network does to one delivery. */
type Fate = 'lost' | 'once' | 'twice';

interface Attempt {
  readonly status: number | null;
  readonly error?: string;
}

/** One notification: an event for one subscription, sent again by every retry. */
interface Notification {
  readonly org: OrgRecord;
  readonly sub: SubscriptionRecord;
  readonly text: string;
  readonly entry: Pick<DeliveryLogEntry, 'subscriptionId' | 'eventId' | 'notificationId' | 'requestId' | 'jobId' | 'jobState'>;
  readonly duplicate: boolean;
  attempts: number;
}

/** A subscription's probation: the notification that failed, retried on the probation schedule. */
interface Probation {
  readonly notification: Notification;
  failedRetries: number;
}

/**
 * Delivers job-state-changed events to webHooks subscriptions by ADO's rules
 * (azure-devops-docs, docs/service-hooks/troubleshoot.md): 2xx delivered; 408, 502, 503, 504 and
 * no answer retried on the retry schedule; any other failure, or retries run out, puts the
 * subscription on probation, where events are dropped and the failed notification is retried on
 * the probation schedule: the first success enables the subscription again, and when the last
 * retry fails it is disabledBySystem. A 410 disables it at once.
 */
export class HookDispatcher {
  private readonly stop = new AbortController();
  private readonly timers: HookTimers;
  /** Cancels every timer still waiting, on close. */
  private readonly pending = new Set<() => void>();
  private readonly probations = new Map<SubscriptionRecord, Probation>();
  /** Deliveries doing something: an attempt, or a wait on real timers. */
  private busy = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly state: EmulatorState,
    private readonly options: HookDeliveryOptions,
  ) {
    this.timers = options.timers ?? realTimers;
  }

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
      const entry = { subscriptionId: sub.id, eventId, notificationId, requestId: job.requestId, jobId: job.jobId, jobState };
      const notSent = (outcome: DeliveryOutcome, error: string) =>
        this.state.deliveryLog.push({ ...entry, url: sub.consumerInputs.url ?? '', attempt: 0, status: null, error, outcome, time: this.state.iso() });
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
      const text = JSON.stringify(body);
      this.start({ org, sub, text, entry, duplicate: false, attempts: 0 });
      started++;
      if (fate === 'twice') {
        // The same event again, on its own schedule: ADO's at-least-once delivery.
        this.start({ org, sub, text, entry, duplicate: true, attempts: 0 });
        started++;
      }
    }
    return started;
  }

  /**
   * Resolves once no delivery is doing anything: every attempt has been answered and every retry
   * waiting on real timers has been made. Waits on a test's clock (`hookTimers`) are left to the
   * test, as are probation retries, which are minutes away.
   */
  settled(): Promise<void> {
    return this.busy === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    this.stop.abort();
    for (const cancel of [...this.pending]) cancel();
  }

  /** One draw for the loss, and for a delivery not lost one more for the duplicate. */
  private fate(): Fate {
    const loss = this.options.loss;
    if (!loss) return 'once';
    const random = loss.random ?? Math.random;
    if (random() < loss.lossRate) return 'lost';
    return random() < loss.duplicateRate ? 'twice' : 'once';
  }

  private enter(): void {
    this.busy++;
  }

  private leave(): void {
    this.busy--;
    if (this.busy > 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  private start(notification: Notification): void {
    this.enter();
    void this.deliver(notification).finally(() => this.leave());
  }

  private async deliver(n: Notification): Promise<void> {
    const { org, sub } = n;
    for (;;) {
      // A subscription put on probation (or deleted) meanwhile gets nothing more: ADO drops the event.
      if (org.subscriptions.get(sub.id) !== sub || sub.status !== 'enabled') {
        this.log(n, 'dropped', { status: null, error: `subscription is ${org.subscriptions.has(sub.id) ? sub.status : 'deleted'}` });
        return;
      }
      const result = await this.attempt(n);
      if (this.stop.signal.aborted) return;
      if (isSuccess(result)) {
        this.log(n, 'delivered', result);
        return;
      }
      if (result.status === GONE) {
        this.setStatus(sub, 'disabledBySystem');
        this.log(n, 'disabled', result);
        return;
      }
      const delay = this.options.retryDelaysMs[n.attempts - 1];
      if ((result.status !== null && !RETRYABLE.has(result.status)) || delay === undefined) {
        this.beginProbation(n);
        this.log(n, 'probation', result);
        return;
      }
      this.log(n, 'retrying', result);
      if (!(await this.wait(delay))) return;
    }
  }

  private beginProbation(n: Notification): void {
    this.setStatus(n.sub, 'onProbation');
    n.sub.probationRetries = 0;
    const probation: Probation = { notification: n, failedRetries: 0 };
    this.probations.set(n.sub, probation);
    this.scheduleProbationRetry(probation);
  }

  private scheduleProbationRetry(probation: Probation): void {
    const delay = this.options.probationDelaysMs[probation.failedRetries];
    if (delay === undefined) return;
    const cancel = this.timers.schedule(() => {
      this.pending.delete(cancel);
      this.enter();
      void this.probationRetry(probation).finally(() => this.leave());
    }, delay);
    this.pending.add(cancel);
  }

  /** One retry of the failed notification; a subscription re-enabled (PUT), deleted or on a newer probation meanwhile has none. */
  private async probationRetry(probation: Probation): Promise<void> {
    const n = probation.notification;
    const { org, sub } = n;
    if (this.probations.get(sub) !== probation || sub.status !== 'onProbation' || org.subscriptions.get(sub.id) !== sub) {
      if (this.probations.get(sub) === probation) this.probations.delete(sub);
      return;
    }
    const result = await this.attempt(n);
    if (this.stop.signal.aborted || this.probations.get(sub) !== probation || sub.status !== 'onProbation') return;
    const retry = { probationRetry: probation.failedRetries + 1 };
    if (isSuccess(result)) {
      this.probations.delete(sub);
      this.setStatus(sub, 'enabled');
      sub.probationRetries = 0;
      this.log(n, 'delivered', result, retry);
      return;
    }
    probation.failedRetries += 1;
    sub.probationRetries = probation.failedRetries;
    if (result.status === GONE || probation.failedRetries >= this.options.probationDelaysMs.length) {
      this.probations.delete(sub);
      this.setStatus(sub, 'disabledBySystem');
      this.log(n, 'disabled', result, retry);
      return;
    }
    this.log(n, 'probation', result, retry);
    this.scheduleProbationRetry(probation);
  }

  private async attempt(n: Notification): Promise<Attempt> {
    n.attempts += 1;
    return this.post(n.sub.consumerInputs.url ?? '', n.sub.consumerInputs, n.text);
  }

  private log(n: Notification, outcome: DeliveryOutcome, result: Attempt, extra: { probationRetry?: number } = {}): void {
    this.state.deliveryLog.push({
      ...n.entry,
      url: n.sub.consumerInputs.url ?? '',
      attempt: n.attempts,
      ...result,
      outcome,
      time: this.state.iso(),
      ...extra,
      ...(n.duplicate ? { duplicate: true } : {}),
    } satisfies DeliveryLogEntry);
  }

  private setStatus(sub: SubscriptionRecord, status: SubscriptionRecord['status']): void {
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

  /**
   * A retry's wait; false when the emulator closed meanwhile. On a test's clock the delivery is
   * not busy while it waits: the test decides when the time has come.
   */
  private wait(ms: number): Promise<boolean> {
    const onTestClock = this.options.timers !== undefined;
    if (onTestClock) this.leave();
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.pending.delete(stop);
        if (onTestClock) this.enter();
        resolve(ok);
      };
      const cancel = this.timers.schedule(() => done(true), ms);
      const stop = () => {
        cancel();
        done(false);
      };
      this.pending.add(stop);
    });
  }
}

function isSuccess(result: Attempt): boolean {
  return result.status !== null && result.status >= 200 && result.status < 300;
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
