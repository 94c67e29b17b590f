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

/** Settles an outgoing delivery with a `rejected` outcome, which the SDK turns into an error. */
export function settleRejected(delivery: Delivery, error: AmqpError): void {
  const outcome = (message as unknown as { rejected(fields: { error: AmqpError }): { described(): unknown } })
    .rejected({ error })
    .described();
  delivery.update(true, outcome);
}
