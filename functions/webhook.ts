import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { errorMessage } from '../src/errors/error-message';
import { dependencies } from '../src/runtime/dependencies';
import { handleDelivery, MAX_BODY_BYTES } from '../src/webhook/handle-delivery';
import { readBodyLimited } from '../src/webhook/read-body';

/** ADO service hook (job state changed) → a look at each managed pool of its organization. Basic auth is checked in src/. */
export async function webhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let deps;
  try {
    deps = dependencies();
  } catch (e) {
    context.error(errorMessage(e));
    // Misconfigured: 503 keeps ADO retrying instead of putting the subscription on probation.
    return { status: 503, jsonBody: { outcome: 'unavailable', reason: 'scaler configuration is invalid; see the function app logs' } };
  }
  const body = await readBodyLimited(request.body, MAX_BODY_BYTES, request.headers.get('content-length'));
  const result = await handleDelivery(
    { authorization: request.headers.get('authorization'), contentType: request.headers.get('content-type'), body },
    {
      credentials: deps.settings.webhook,
      organizations: deps.settings.config.organizations,
      signals: deps.signals,
      counters: deps.counters,
      now: deps.now,
      log: context,
    },
  );
  return { status: result.status, jsonBody: result.body };
}

app.http('webhook', { methods: ['POST'], authLevel: 'anonymous', route: 'webhook', handler: webhook });
