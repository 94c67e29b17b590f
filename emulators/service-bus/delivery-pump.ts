import { string_to_uuid, generate_uuid } from 'rhea';
import type { Connection, Delivery, Sender } from 'rhea';
import { asBrokerError } from './broker-error';
import type { QueueStore, Settlement } from './queue-store';
import { confirmedOutcome, linkCredit, settleOutgoing, settleRejected } from './rhea-internals';
import { toWire } from './stored-message';
import type { Clock } from '../core/clock';

interface Consumer {
  store: QueueStore;
  deleteOnReceive: boolean;
}

interface InFlight {
  store: QueueStore;
  token: string;
}

/**
 * Moves messages from queues to the client's receiver links as link credit allows, and applies
 * the client's dispositions (complete, abandon, defer, dead-letter) to the locks they name.
 */
export class DeliveryPump {
  private readonly consumers = new Map<Sender, Consumer>();
  private readonly inFlight = new WeakMap<Delivery, InFlight>();
  private pending: NodeJS.Immediate | undefined;

  constructor(private readonly now: Clock) {}

  addConsumer(sender: Sender, store: QueueStore, deleteOnReceive: boolean): void {
    this.consumers.set(sender, { store, deleteOnReceive });
    this.request();
  }

  removeConsumer(sender: Sender): void {
    this.consumers.delete(sender);
  }

  /** Locks taken by a vanished client stay until they expire, as in Service Bus. */
  removeConnection(connection: Connection): void {
    for (const sender of this.consumers.keys()) {
      if (sender.connection === connection) this.consumers.delete(sender);
    }
  }

  isConsumer(sender: Sender): boolean {
    return this.consumers.has(sender);
  }

  /**
   * Pumps on a later turn: rhea decrements `credit` only when it writes transfers (on
   * process.nextTick), so pumping after those have run never sends beyond the client's credit.
   */
  request(): void {
    this.pending ??= setImmediate(() => {
      this.pending = undefined;
      this.pump();
    });
  }

  stop(): void {
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
    this.consumers.clear();
  }

  /** A disposition from the client for a message we delivered on a peek-lock link. */
  settle(delivery: Delivery): void {
    const inFlight = this.inFlight.get(delivery);
    if (!inFlight) {
      settleOutgoing(delivery, confirmedOutcome(delivery));
      return;
    }
    this.inFlight.delete(delivery);
    try {
      inFlight.store.settle(inFlight.token, settlementOf(delivery), this.now());
      settleOutgoing(delivery, confirmedOutcome(delivery));
    } catch (error) {
      settleRejected(delivery, asBrokerError(error).toAmqpError());
    }
    this.request();
  }

  private pump(): void {
    for (const [sender, consumer] of this.consumers) {
      if (!sender.is_open()) continue;
      let credit = linkCredit(sender);
      while (credit > 0 && this.deliverOne(sender, consumer)) credit--;
      // Answers a drain request: the remaining credit is used up and the client told so.
      if (credit > 0) sender.set_drained(true);
    }
  }

  private deliverOne(sender: Sender, consumer: Consumer): boolean {
    const now = this.now();
    if (consumer.deleteOnReceive) {
      const message = consumer.store.takeNext();
      if (!message) return false;
      sender.send(toWire(message, message.deliveries - 1), Buffer.from(string_to_uuid(generate_uuid())));
      return true;
    }
    const locked = consumer.store.lockNext(now);
    if (!locked) return false;
    const delivery = sender.send(toWire(locked.message, locked.message.deliveries - 1), lockTokenTag(locked.token));
    this.inFlight.set(delivery, { store: consumer.store, token: locked.token });
    return true;
  }
}

/**
 * Service Bus sends the lock token GUID in .NET byte order as the delivery tag and the SDK
 * swaps it back, so the SDK's `lockToken` string equals our token.
 */
export function lockTokenTag(token: string): Buffer {
  const bytes = Buffer.from(string_to_uuid(token));
  return Buffer.from([
    bytes[3] ?? 0,
    bytes[2] ?? 0,
    bytes[1] ?? 0,
    bytes[0] ?? 0,
    bytes[5] ?? 0,
    bytes[4] ?? 0,
    bytes[7] ?? 0,
    bytes[6] ?? 0,
    ...bytes.subarray(8),
  ]);
}

interface OutcomeFields {
  undeliverable_here?: boolean;
  message_annotations?: Record<string, unknown>;
  error?: { condition?: string; description?: string; info?: Record<string, unknown> };
}

function settlementOf(delivery: Delivery): Settlement {
  const state = delivery.remote_state as (OutcomeFields & { constructor: { composite_type?: string } }) | undefined;
  switch (state?.constructor.composite_type) {
    case 'accepted':
      return { kind: 'complete' };
    case 'rejected': {
      const { DeadLetterReason, DeadLetterErrorDescription, ...properties } = state.error?.info ?? {};
      const settlement: Settlement = { kind: 'deadLetter', properties };
      if (typeof DeadLetterReason === 'string') settlement.reason = DeadLetterReason;
      if (typeof DeadLetterErrorDescription === 'string') settlement.description = DeadLetterErrorDescription;
      return settlement;
    }
    case 'modified': {
      const properties = state.message_annotations ?? {};
      return state.undeliverable_here ? { kind: 'defer', properties } : { kind: 'abandon', properties };
    }
    default:
      return { kind: 'abandon' };
  }
}
