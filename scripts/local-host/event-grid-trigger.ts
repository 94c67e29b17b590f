import type * as http from 'node:http';
import type { HttpResponseInit } from '@azure/functions';
import { triggerOf, type Registration } from './functions-core-shim';
import { invocationContext, type LogSink } from './invocation';

/** Where the Functions host takes Event Grid deliveries (`&code=<system key>` in Azure; not checked here). */
export const EVENT_GRID_PATH = '/runtime/webhooks/eventgrid';

/**
 * `POST /runtime/webhooks/eventgrid?functionName=X` with an event array, as Event Grid posts it:
 * the subscription handshake is answered, and each event invokes the eventGrid-triggered
 * function once, as the host does. 202 when all succeeded, 500 (Event Grid retries) otherwise.
 */
export async function deliverEventGrid(registrations: readonly Registration[], url: URL, req: http.IncomingMessage, log: LogSink): Promise<HttpResponseInit> {
  if (req.method !== 'POST') return { status: 405 };
  const name = url.searchParams.get('functionName') ?? '';
  const fn = registrations.find((r) => r.name.toLowerCase() === name.toLowerCase() && triggerOf(r).type === 'eventGridTrigger');
  if (!fn) return { status: 404, jsonBody: { error: `no eventGrid-triggered function "${name}"` } };
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { status: 400, jsonBody: { error: 'the body is not JSON' } };
  }
  const events = Array.isArray(body) ? (body as Array<Record<string, unknown>>) : [body as Record<string, unknown>];
  if (String(req.headers['aeg-event-type'] ?? '').toLowerCase() === 'subscriptionvalidation') {
    return { status: 200, jsonBody: { validationResponse: (events[0]?.data as { validationCode?: string } | undefined)?.validationCode } };
  }
  let failed = false;
  for (const event of events) {
    try {
      await fn.handler(event, invocationContext(fn.name, log, { id: event.id, eventType: event.eventType ?? event.type, subject: event.subject }));
    } catch (e) {
      failed = true;
      log('error', fn.name, e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
  }
  return { status: failed ? 500 : 202 };
}
