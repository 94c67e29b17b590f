import { message as amqpMessage, types } from 'rhea';
import type { Message } from 'rhea';
import type { InspectedMessage } from './types';

export type MessageState = 'active' | 'scheduled' | 'locked' | 'deferred';

export interface MessageLock {
  token: string;
  until: number;
  /** Settling or losing the lock of a message received by sequence number returns it to deferred. */
  fromDeferred: boolean;
}

export interface StoredMessage {
  readonly sequenceNumber: number;
  /** The message as the client sent it, broker annotations stripped on output. */
  amqp: Message;
  state: MessageState;
  enqueuedAt: number;
  /** When a scheduled message becomes active. */
  visibleAt?: number;
  /** Deliveries so far (each lock or receive-and-delete counts one). */
  deliveries: number;
  lock?: MessageLock;
  deadLetterSource?: string;
}

/** rhea's decode is typed with its message module's Message; it is the connection's Message. */
export function decodeMessage(encoded: Buffer): Message {
  return amqpMessage.decode(encoded) as unknown as Message;
}

const dataSection = 0x75;
const valueSection = 0x77;
const sequenceSection = 0x76;

/** Mirrors the SDK's body decoding so inspection shows what a receiver would see. */
export function decodeBody(body: unknown): unknown {
  if (isSection(body)) {
    if (body.typecode === dataSection && Buffer.isBuffer(body.content)) return tryJson(body.content);
    return body.content;
  }
  return Buffer.isBuffer(body) ? tryJson(body) : body;
}

function isSection(value: unknown): value is { typecode: number; content: unknown } {
  if (typeof value !== 'object' || value === null) return false;
  const typecode = (value as { typecode?: unknown }).typecode;
  return typecode === dataSection || typecode === valueSection || typecode === sequenceSection;
}

function tryJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8')) as unknown;
  } catch {
    return content;
  }
}

export function scheduledEnqueueTime(amqp: Message): number | undefined {
  const value: unknown = amqp.message_annotations?.['x-opt-scheduled-enqueue-time'];
  if (value instanceof Date) return value.getTime();
  return typeof value === 'number' ? value : undefined;
}

/** x-opt-message-state: the SDK maps 1 to deferred and 2 to scheduled. */
function messageStateCode(state: MessageState): number {
  if (state === 'deferred') return 1;
  if (state === 'scheduled') return 2;
  return 0;
}

/**
 * The message as the broker hands it out. The AMQP header's delivery-count counts prior
 * deliveries, so the SDK reports 0 on the first receive, as it does against Service Bus.
 */
export function toWire(stored: StoredMessage, priorDeliveries: number): Message {
  const annotations: Record<string, unknown> = {
    ...stored.amqp.message_annotations,
    'x-opt-sequence-number': types.wrap_long(stored.sequenceNumber),
    'x-opt-enqueued-time': new Date(stored.enqueuedAt),
    'x-opt-message-state': types.wrap_int(messageStateCode(stored.state)),
  };
  if (stored.lock) annotations['x-opt-locked-until'] = new Date(stored.lock.until);
  if (stored.visibleAt !== undefined) annotations['x-opt-scheduled-enqueue-time'] = new Date(stored.visibleAt);
  if (stored.deadLetterSource !== undefined) annotations['x-opt-deadletter-source'] = stored.deadLetterSource;
  return { ...stored.amqp, delivery_count: priorDeliveries, message_annotations: annotations };
}

export function inspect(stored: StoredMessage): InspectedMessage {
  const properties = { ...(stored.amqp.application_properties as Record<string, unknown> | undefined) };
  const inspected: InspectedMessage = {
    body: decodeBody(stored.amqp.body),
    messageId: stored.amqp.message_id,
    applicationProperties: properties,
    deliveryCount: stored.deliveries,
    sequenceNumber: stored.sequenceNumber,
    enqueuedTimeUtc: new Date(stored.enqueuedAt),
  };
  if (stored.visibleAt !== undefined) inspected.scheduledEnqueueTimeUtc = new Date(stored.visibleAt);
  if (stored.lock) inspected.lockedUntilUtc = new Date(stored.lock.until);
  if (typeof properties.DeadLetterReason === 'string') inspected.deadLetterReason = properties.DeadLetterReason;
  if (typeof properties.DeadLetterErrorDescription === 'string') {
    inspected.deadLetterErrorDescription = properties.DeadLetterErrorDescription;
  }
  return inspected;
}
