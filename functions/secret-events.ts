import { app, type InvocationContext } from '@azure/functions';
import { dependencies } from '../src/runtime/dependencies';
import { handleSecretEvents } from '../src/secrets/secret-events';

/** Key Vault events through Event Grid: a rotated PAT is read at once, a PAT near expiry is reported. */
export async function secretEvents(event: unknown, context: InvocationContext): Promise<void> {
  const deps = dependencies();
  await handleSecretEvents(event, {
    config: deps.settings.config,
    refresh: async (orgUrl) => (await deps.adoCredential(orgUrl)).refresh(),
    counters: deps.counters,
    log: context,
  });
}

app.eventGrid<unknown>('secret-events', { handler: secretEvents });
