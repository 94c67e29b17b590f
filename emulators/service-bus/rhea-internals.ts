import { message } from 'rhea';
import type { AmqpError, Connection, Container, Delivery, link } from 'rhea';
import type { Socket } from 'node:net';

// rhea's typings describe its client side; the broker side needs a few members they omit.
// They are reached only through this file so a rhea upgrade breaks in one place.

interface LocalAttach {
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  max_message_size?: number;
}

/**
 * SASL ANONYMOUS (what the JS SDK sends for the emulator) and PLAIN with any credentials, and
 * clients that skip SASL. SAS tokens come later over CBS and are not checked either.
 */
export function acceptAnySasl(container: Container): void {
  const mechanisms = container.sasl_server_mechanisms as {
    enable_anonymous(): void;
    enable_plain(check: (username: string, password: string) => boolean): void;
  };
  mechanisms.enable_anonymous();
  mechanisms.enable_plain(() => true);
}

/** Hands an accepted socket to a server-mode rhea connection (what `container.listen` does). */
export function acceptSocket(connection: Connection, socket: Socket): void {
  (connection as unknown as { accept(socket: Socket): void }).accept(socket);
}

/** rhea only watches 'end' and 'error'; a socket we destroy must still stop its heartbeat timers. */
export function markSocketGone(connection: Connection): void {
  (connection as unknown as { eof(): void }).eof();
}

/** Fields of our side's attach, which rhea sends on the next tick after the remote attach. */
export function setLocalAttach(target: link, fields: LocalAttach): void {
  Object.assign((target as unknown as { local: { attach: LocalAttach } }).local.attach, fields);
}

/** Credit the client has granted on a link (rhea tracks it but does not type it). */
export function linkCredit(target: link): number {
  return (target as unknown as { credit: number }).credit;
}

/**
 * Settles a delivery we sent, telling the client `outcome`, and lets rhea forget it.
 *
 * Two rhea behaviours make this more than `delivery.update(true)`:
 * - rhea drops an outgoing delivery from the session's fixed buffer (2048 entries) only once
 *   both ends settled it. With the SDK's peek-lock links (rcv-settle-mode "second") the client
 *   sends its outcome unsettled, waits for our settlement, then settles silently; nothing more
 *   comes back, so rhea would hold every such delivery until the buffer overflows. A sender's
 *   settlement is final in AMQP, so the delivery is marked settled on the remote side too (the
 *   disposition is already queued, as rhea checked remote_settled while queueing it).
 * - rhea writes the disposition's state field even when it is undefined, which goes out as an
 *   explicit null that the client's rhea logs as "unrecognised outcome: null"; so an outcome
 *   is always given.
 */
export function settleOutgoing(delivery: Delivery, outcome: unknown): void {
  delivery.update(true, outcome);
  (delivery as { remote_settled: boolean }).remote_settled = true;
}

interface Outcome {
  described(): unknown;
  constructor: { composite_type?: string };
}

/**
 * The outcome that confirms the client's own: its accepted/modified/released as sent, and
 * `rejected` (dead-letter) without the error it carried, which the SDK would otherwise report
 * as a failed settlement.
 */
export function confirmedOutcome(delivery: Delivery): unknown {
  const state = delivery.remote_state as Outcome | undefined;
  switch (state?.constructor.composite_type) {
    case 'accepted':
    case 'modified':
    case 'released':
      return state.described();
    case 'rejected':
      return outcomes.rejected({}).described();
    default:
      return outcomes.released().described();
  }
}

/** Settles an outgoing delivery with a `rejected` outcome, which the SDK turns into an error. */
export function settleRejected(delivery: Delivery, error: AmqpError): void {
  settleOutgoing(delivery, outcomes.rejected({ error }).described());
}

const outcomes = message as unknown as {
  rejected(fields: { error?: AmqpError }): { described(): unknown };
  released(): { described(): unknown };
};
