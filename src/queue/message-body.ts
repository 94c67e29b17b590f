import type { z } from 'zod';

export type ParsedBody<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A Service Bus message body against its schema. Bodies arrive as parsed JSON or as a string,
 * depending on the sender; the reason names the first field that is wrong, for the log and the
 * dead-letter queue.
 */
export function parseMessageBody<S extends z.ZodType>(schema: S, body: unknown, what: string): ParsedBody<z.output<S>> {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { ok: false, reason: `${what} body is not JSON` };
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const first = result.error.issues[0];
  return { ok: false, reason: `invalid ${what}: ${first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unknown'}` };
}
