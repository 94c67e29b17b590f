import { message as amqpMessage, string_to_uuid, types, uuid_to_string } from 'rhea';
import type { Message } from 'rhea';
import { BrokerError, badRequest } from './broker-error';
import type { QueueStore, Settlement } from './queue-store';
import { decodeMessage, scheduledEnqueueTime, toWire } from './stored-message';

export interface ManagementResult {
  statusCode: number;
  body?: unknown;
}

type Body = Record<string, unknown>;
type Operation = (store: QueueStore, body: Body, now: number) => ManagementResult;

/**
 * The `{entity}/$management` request/response operations the SDK uses, in the shapes
 * `@azure/service-bus`'s ManagementClient sends and parses.
 */
const operations: Record<string, Operation> = {
  'com.microsoft:renew-lock': (store, body, now) => {
    const expirations = lockTokens(body).map((token) => new Date(store.renewLock(token, now)));
    return ok({ expirations: types.wrap_array(expirations, 0x83, undefined) });
  },
  'com.microsoft:schedule-message': (store, body, now) => {
    const entries = Array.isArray(body.messages) ? (body.messages as Body[]) : [];
    const sequenceNumbers = entries.map((entry) => {
      if (!Buffer.isBuffer(entry.message)) throw badRequest('schedule-message: an entry has no encoded message.');
      const amqp = decodeMessage(entry.message);
      return store.schedule(amqp, scheduledEnqueueTime(amqp) ?? now, now);
    });
    return ok({ 'sequence-numbers': types.wrap_array(sequenceNumbers, 0x81, undefined) });
  },
  'com.microsoft:cancel-scheduled-message': (store, body) => {
    store.cancelScheduled(sequenceNumbers(body));
    return ok({});
  },
  'com.microsoft:peek-message': (store, body) => {
    const from = toNumber(body['from-sequence-number']) ?? 1;
    const count = toNumber(body['message-count']) ?? 1;
    const peeked = store.peek(from, count);
    if (peeked.length === 0) return { statusCode: 204, body: { messages: [] } };
    return ok({ messages: peeked.map((stored) => ({ message: amqpMessage.encode(toWire(stored, stored.deliveries)) })) });
  },
  'com.microsoft:receive-by-sequence-number': (store, body, now) => {
    const deleteOnReceive = toNumber(body['receiver-settle-mode']) === 0;
    const received = store.receiveDeferred(sequenceNumbers(body), now, deleteOnReceive);
    return ok({
      messages: received.map(({ message, token }) => ({
        message: amqpMessage.encode(toWire(message, message.deliveries - 1)),
        'lock-token': types.wrap_uuid(string_to_uuid(token)),
      })),
    });
  },
  'com.microsoft:update-disposition': (store, body, now) => {
    const settlement = dispositionSettlement(body);
    for (const token of lockTokens(body)) store.settle(token, settlement, now);
    return ok({});
  },
};

export function handleManagementRequest(store: QueueStore, request: Message, now: number): ManagementResult {
  const properties = (request.application_properties ?? {}) as Body;
  const operation = operations[String(properties.operation)];
  if (!operation) {
    throw new BrokerError('amqp:not-implemented', 501, `The emulator does not implement '${String(properties.operation)}'.`);
  }
  return operation(store, (request.body ?? {}) as Body, now);
}

function ok(body: unknown): ManagementResult {
  return { statusCode: 200, body };
}

function dispositionSettlement(body: Body): Settlement {
  const properties = (body['properties-to-modify'] ?? {}) as Body;
  switch (body['disposition-status']) {
    case 'completed':
      return { kind: 'complete' };
    case 'abandoned':
      return { kind: 'abandon', properties };
    case 'defered':
      return { kind: 'defer', properties };
    case 'suspended': {
      const settlement: Settlement = { kind: 'deadLetter', properties };
      if (typeof body['deadletter-reason'] === 'string') settlement.reason = body['deadletter-reason'];
      if (typeof body['deadletter-description'] === 'string') settlement.description = body['deadletter-description'];
      return settlement;
    }
    default:
      throw badRequest(`update-disposition: unknown disposition-status '${String(body['disposition-status'])}'.`);
  }
}

function lockTokens(body: Body): string[] {
  const tokens = body['lock-tokens'];
  if (!Array.isArray(tokens)) throw badRequest('The request has no lock-tokens.');
  return tokens.map((token) => (Buffer.isBuffer(token) ? uuid_to_string(token) : String(token)));
}

function sequenceNumbers(body: Body): number[] {
  const values = body['sequence-numbers'];
  if (!Array.isArray(values)) throw badRequest('The request has no sequence-numbers.');
  return values.map((value) => toNumber(value) ?? -1);
}

/** AMQP longs arrive as numbers, or as 8 big-endian bytes when the SDK wraps a Long's bytes. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE(0));
  return undefined;
}
