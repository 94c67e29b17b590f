import { generate_uuid } from 'rhea';
import type { Message } from 'rhea';
import { lockLost, messageNotFound } from './broker-error';
import { DuplicateDetection } from './duplicate-detection';
import { scheduledEnqueueTime } from './stored-message';
import type { MessageState, StoredMessage } from './stored-message';

export interface QueueSettings {
  maxDeliveryCount: number;
  lockDurationMs: number;
  /** 0 = off. */
  duplicateDetectionWindowMs: number;
}

type Properties = Record<string, unknown>;

export type Settlement =
  | { kind: 'complete' }
  | { kind: 'abandon'; properties?: Properties }
  | { kind: 'defer'; properties?: Properties }
  | { kind: 'deadLetter'; reason?: string; description?: string; properties?: Properties };

export interface LockedMessage {
  message: StoredMessage;
  token: string;
}

/**
 * One queue (or one dead-letter sub-queue): the message state machine of a Service Bus entity.
 * Time comes in as `now` so the caller's clock rules locks, schedules and duplicate windows.
 */
export class QueueStore {
  /** Insertion order is delivery order (sequence order, except scheduled messages join when due). */
  private readonly messages = new Map<number, StoredMessage>();
  private readonly locks = new Map<string, StoredMessage>();
  /** Every message the queue accepted (duplicates dropped), settled or not, in order. */
  private readonly accepted: StoredMessage[] = [];
  private readonly duplicates: DuplicateDetection;
  private lastSequenceNumber = 0;

  constructor(
    readonly path: string,
    private readonly settings: QueueSettings,
    private readonly deadLetterQueue?: QueueStore,
  ) {
    this.duplicates = new DuplicateDetection(settings.duplicateDetectionWindowMs);
  }

  /** Returns false when duplicate detection drops the message (the sender still sees success). */
  send(amqp: Message, now: number): boolean {
    if (this.duplicates.isDuplicate(amqp.message_id, now)) return false;
    const scheduledAt = scheduledEnqueueTime(amqp);
    this.store(amqp, now, scheduledAt !== undefined && scheduledAt > now ? scheduledAt : undefined);
    return true;
  }

  schedule(amqp: Message, at: number, now: number): number {
    if (this.duplicates.isDuplicate(amqp.message_id, now)) return ++this.lastSequenceNumber;
    return this.store(amqp, now, at > now ? at : undefined).sequenceNumber;
  }

  cancelScheduled(sequenceNumbers: number[]): void {
    for (const sequenceNumber of sequenceNumbers) {
      if (this.messages.get(sequenceNumber)?.state === 'scheduled') this.messages.delete(sequenceNumber);
    }
  }

  /** Everything accepted so far, including messages since completed or dead-lettered. */
  history(): readonly StoredMessage[] {
    return this.accepted;
  }

  /** Peek-lock: the next active message, locked for the queue's lock duration. */
  lockNext(now: number): LockedMessage | undefined {
    const message = this.firstActive();
    return message && this.lock(message, now, false);
  }

  /** Receive-and-delete: the next active message, gone from the queue. */
  takeNext(): StoredMessage | undefined {
    const message = this.firstActive();
    if (!message) return undefined;
    message.deliveries++;
    this.messages.delete(message.sequenceNumber);
    return message;
  }

  settle(token: string, settlement: Settlement, now: number): void {
    const message = this.lockedMessage(token, now);
    switch (settlement.kind) {
      case 'complete':
        this.unlock(message);
        this.messages.delete(message.sequenceNumber);
        return;
      case 'abandon':
        this.modify(message, settlement.properties);
        this.release(message);
        return;
      case 'defer':
        this.modify(message, settlement.properties);
        this.unlock(message);
        message.state = 'deferred';
        return;
      case 'deadLetter':
        this.modify(message, settlement.properties);
        this.deadLetter(message, settlement.reason, settlement.description);
        return;
    }
  }

  renewLock(token: string, now: number): number {
    const message = this.lockedMessage(token, now);
    const lock = message.lock as NonNullable<StoredMessage['lock']>;
    lock.until = now + this.settings.lockDurationMs;
    return lock.until;
  }

  receiveDeferred(sequenceNumbers: number[], now: number, deleteOnReceive: boolean): LockedMessage[] {
    const deferred = sequenceNumbers.map((sequenceNumber) => {
      const message = this.messages.get(sequenceNumber);
      if (message?.state !== 'deferred') {
        throw messageNotFound(`The deferred message with sequence number ${sequenceNumber}`);
      }
      return message;
    });
    return deferred.map((message) => {
      if (!deleteOnReceive) return this.lock(message, now, true);
      message.deliveries++;
      this.messages.delete(message.sequenceNumber);
      return { message, token: generate_uuid() };
    });
  }

  /** Peek sees every message still in the entity, locked, deferred and scheduled ones included. */
  peek(fromSequenceNumber: number, count: number): StoredMessage[] {
    return [...this.messages.values()]
      .filter((message) => message.sequenceNumber >= fromSequenceNumber)
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
      .slice(0, count);
  }

  /** Activates due scheduled messages and releases expired locks; true if anything changed. */
  advance(now: number): boolean {
    let activated = false;
    for (const message of [...this.messages.values()]) {
      if (message.state === 'scheduled' && (message.visibleAt ?? 0) <= now) {
        // Enqueued at its scheduled time: it joins the end of the queue, behind earlier sends.
        this.messages.delete(message.sequenceNumber);
        this.messages.set(message.sequenceNumber, message);
        message.state = 'active';
        activated = true;
      } else if (message.lock && message.lock.until <= now) {
        this.release(message);
        activated = true;
      }
    }
    this.duplicates.forgetExpired(now);
    return activated;
  }

  list(state: MessageState): StoredMessage[] {
    return [...this.messages.values()].filter((message) => message.state === state);
  }

  /** A message dead-lettered from the parent queue keeps its sequence number, as in Service Bus. */
  adopt(message: StoredMessage): void {
    message.state = 'active';
    this.messages.set(message.sequenceNumber, message);
  }

  private store(amqp: Message, now: number, visibleAt: number | undefined): StoredMessage {
    const message: StoredMessage = {
      sequenceNumber: ++this.lastSequenceNumber,
      // Service Bus gives every message an id; the SDK's lock renewer relies on one.
      amqp: amqp.message_id === undefined ? { ...amqp, message_id: generate_uuid().replace(/-/g, '') } : amqp,
      state: visibleAt === undefined ? 'active' : 'scheduled',
      enqueuedAt: visibleAt ?? now,
      deliveries: 0,
    };
    if (visibleAt !== undefined) message.visibleAt = visibleAt;
    this.messages.set(message.sequenceNumber, message);
    this.accepted.push(message);
    return message;
  }

  private firstActive(): StoredMessage | undefined {
    for (const message of this.messages.values()) {
      if (message.state === 'active') return message;
    }
    return undefined;
  }

  private lock(message: StoredMessage, now: number, fromDeferred: boolean): LockedMessage {
    const token = generate_uuid();
    message.deliveries++;
    message.state = 'locked';
    message.lock = { token, until: now + this.settings.lockDurationMs, fromDeferred };
    this.locks.set(token, message);
    return { message, token };
  }

  private lockedMessage(token: string, now: number): StoredMessage {
    const message = this.locks.get(token);
    if (!message?.lock) throw lockLost();
    if (message.lock.until <= now) {
      this.release(message);
      throw lockLost();
    }
    return message;
  }

  private unlock(message: StoredMessage): void {
    if (message.lock) this.locks.delete(message.lock.token);
    delete message.lock;
  }

  /** Abandon or lock expiry: back to the queue, or to the dead-letter queue once out of deliveries. */
  private release(message: StoredMessage): void {
    const fromDeferred = message.lock?.fromDeferred ?? false;
    this.unlock(message);
    if (message.deliveries >= this.settings.maxDeliveryCount && this.deadLetterQueue) {
      const description = `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`;
      this.deadLetter(message, 'MaxDeliveryCountExceeded', description);
      return;
    }
    message.state = fromDeferred ? 'deferred' : 'active';
  }

  private deadLetter(message: StoredMessage, reason: string | undefined, description: string | undefined): void {
    this.unlock(message);
    const properties: Properties = { ...(message.amqp.application_properties as Properties | undefined) };
    if (reason !== undefined) properties.DeadLetterReason = reason;
    if (description !== undefined) properties.DeadLetterErrorDescription = description;
    message.amqp = { ...message.amqp, application_properties: properties };
    if (!this.deadLetterQueue) {
      message.state = 'active';
      return;
    }
    this.messages.delete(message.sequenceNumber);
    message.deadLetterSource = this.path;
    this.deadLetterQueue.adopt(message);
  }

  private modify(message: StoredMessage, properties: Properties | undefined): void {
    if (!properties || Object.keys(properties).length === 0) return;
    const merged = { ...(message.amqp.application_properties as Properties | undefined), ...properties };
    message.amqp = { ...message.amqp, application_properties: merged };
  }
}
