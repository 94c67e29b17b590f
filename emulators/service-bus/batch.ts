import type { Message } from 'rhea';
import { badRequest } from './broker-error';
import { decodeMessage } from './stored-message';

/**
 * A batch (message format 0x80013700) is an envelope whose data sections each hold one encoded
 * message; Service Bus stores the inner messages, not the envelope. rhea hands non-zero formats
 * over undecoded.
 */
export function unpackBatch(payload: unknown): Message[] {
  if (!Buffer.isBuffer(payload)) throw badRequest('A batched message arrived without its encoded payload.');
  const body = decodeMessage(payload).body as { content?: unknown; multiple?: boolean } | undefined;
  const sections = body?.multiple ? body.content : [body?.content];
  if (!Array.isArray(sections) || !sections.every((section) => Buffer.isBuffer(section))) {
    throw badRequest('A batched message must carry one encoded message per data section.');
  }
  return sections.map((section) => decodeMessage(section));
}
