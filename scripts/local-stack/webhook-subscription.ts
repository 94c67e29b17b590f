import { createAdoClient } from '../../src/ado/ado-client';
import { fixedPatCredential } from '../../src/ado/ado-credential';
import { EMULATOR_ADMIN_PAT, type EmulatorStack } from './emulator-stack';

export interface WebhookTarget {
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

/**
 * What a user does once with `npm run hook:create` and their own login: the subscription that
 * sends job state events to the webhook, in every organization of the stack. Not the scaler's
 * credentials: the pool PAT may not manage service hooks.
 */
export async function subscribeWebhook(stack: Pick<EmulatorStack, 'config'>, target: WebhookTarget): Promise<void> {
  for (const org of stack.config.organizations) {
    const ado = createAdoClient({ orgUrl: org.url, credential: fixedPatCredential(EMULATOR_ADMIN_PAT, "the emulator's full-access PAT") });
    await ado.ensureJobStateSubscription(target);
  }
}
