import type { Message, Receiver, Sender } from 'rhea';
import { asBrokerError } from './broker-error';

export interface Reply {
  statusCode: number;
  body?: unknown;
}

/**
 * Runs a `$cbs` or `$management` request and answers it on the client's reply link, with the
 * request's message_id as correlation_id. Broker errors become error status replies, which the
 * SDK translates by `error-condition` and `status-description`.
 */
export function answerRequest(requestLink: Receiver, request: Message, handle: () => Reply): void {
  let properties: Record<string, unknown>;
  let body: unknown;
  try {
    const reply = handle();
    // CBS reads "status-code"; the management client checks "statusCode" (204 on an empty peek).
    properties = { 'status-code': reply.statusCode, statusCode: reply.statusCode };
    body = reply.body;
  } catch (caught) {
    const error = asBrokerError(caught);
    properties = {
      'status-code': error.statusCode,
      statusCode: error.statusCode,
      'status-description': error.message,
      'error-condition': error.condition,
    };
  }
  replyLink(requestLink, request.reply_to)?.send({
    to: request.reply_to,
    correlation_id: request.message_id,
    application_properties: properties,
    body,
  });
}

/**
 * The client's receiver for replies: the SDK names it after reply_to (and for $management also
 * targets it there); as a fallback, the receiver on the same session reading from the node.
 */
function replyLink(requestLink: Receiver, replyTo: string | undefined): Sender | undefined {
  return (
    requestLink.connection.find_sender((s: Sender) => s.name === replyTo || s.target?.address === replyTo) ??
    requestLink.session.find_sender((s: Sender) => s.source?.address === requestLink.target.address)
  );
}
