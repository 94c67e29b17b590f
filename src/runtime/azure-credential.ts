import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

/**
 * The app's Azure identity: a user-assigned managed identity when its client id is known,
 * otherwise the default chain (system identity in Azure, developer login locally).
 * Loaded on first use: @azure/identity brings MSAL, which the webhook never needs.
 */
export function azureCredential(clientId?: string): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}
