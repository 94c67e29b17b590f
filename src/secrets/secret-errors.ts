import { azureRestFailure, type AzureRestFailure } from '../errors/azure-rest-error';
import { ScalerError } from '../errors/scaler-error';
import type { ErrorKind } from '../errors/scaler-error';
import { systemClock, type Clock } from '../time/clock';

/** Why a secret could not be read; `kind` says what the caller does about it. */
export type SecretFailure =
  | 'invalid-vault-url'
  | 'not-found'
  | 'disabled'
  | 'expired'
  | 'empty'
  | 'no-credential'
  | 'unauthorized'
  | 'forbidden'
  | 'rejected'
  | 'throttled'
  | 'unavailable';

/**
 * Reading a secret failed. The message names the vault and the secret and says what to do;
 * it never carries the secret's value, and no underlying error is attached as `cause`
 * because SDK errors hold the request, bearer token included.
 */
export class SecretAccessError extends ScalerError {
  constructor(
    kind: ErrorKind,
    readonly failure: SecretFailure,
    readonly vaultUrl: string,
    readonly secretName: string,
    message: string,
    details: { retryAfterMs?: number; status?: number } = {},
  ) {
    super(kind, message, details);
    this.name = 'SecretAccessError';
  }
}

export function invalidVaultUrl(vaultUrl: string, name: string): SecretAccessError {
  return new SecretAccessError(
    'permanent',
    'invalid-vault-url',
    vaultUrl,
    name,
    `Key Vault secret "${name}": "${vaultUrl}" is not a vault URL. Configure it as https://<vault-name>.vault.azure.net.`,
  );
}

/** A secret that was read but must not be used. */
export function unusableSecret(failure: 'disabled' | 'expired' | 'empty', vaultUrl: string, name: string, expiresOn?: Date): SecretAccessError {
  const where = `Key Vault secret "${name}" in ${vaultUrl}`;
  const newVersion = `store a current PAT as a new version: ${setCommand(vaultUrl, name)}`;
  const message = {
    disabled: `${where} is disabled. Enable it with \`az keyvault secret set-attributes --vault-name ${vaultName(vaultUrl)} --name ${name} --enabled true\`, or ${newVersion}.`,
    expired: `${where} expired on ${expiresOn?.toISOString() ?? 'an earlier date'}; ${newVersion}.`,
    empty: `${where} is empty; ${newVersion}.`,
  }[failure];
  return new SecretAccessError('permanent', failure, vaultUrl, name, message);
}

/** Translates an SDK or credential failure into what the operator or the caller must do. */
export function secretError(err: unknown, vaultUrl: string, name: string, now: Clock = systemClock): SecretAccessError {
  const e = azureRestFailure(err, now);
  const where = `Key Vault secret "${name}" in ${vaultUrl}`;
  const said = summary(e);
  const make = (kind: ErrorKind, failure: SecretFailure, message: string, retryAfterMs?: number) =>
    new SecretAccessError(kind, failure, vaultUrl, name, message, {
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  const grant =
    `Grant the function app's managed identity the "Key Vault Secrets User" role on the vault ` +
    `(az role assignment create --role "Key Vault Secrets User" --assignee <principal-id> --scope <vault-resource-id>)`;

  if (e.name === 'CredentialUnavailableError' || (e.name === 'AuthenticationError' && (e.status ?? 0) < 500)) {
    return make(
      'permanent',
      'no-credential',
      `Cannot read ${where}: no Azure credential could get a token (${said}). Enable the function app's managed identity (set AZURE_CLIENT_ID for a user-assigned one), or run \`az login\` locally.`,
    );
  }
  switch (e.status) {
    case 404:
      return make(
        'permanent',
        'not-found',
        `${where} does not exist. Create it with ${setCommand(vaultUrl, name)}, or correct the secret name or vault URL in the configuration.`,
      );
    case 403:
      if (e.innerCode === 'SecretDisabled') return unusableSecret('disabled', vaultUrl, name);
      return make('permanent', 'forbidden', `The function app may not read ${where} (${said}). ${grant}, or an access policy with secret Get permission.`);
    case 401:
      return make(
        'permanent',
        'unauthorized',
        `${where}: the vault rejected the function app's token (${said}). Check that the managed identity belongs to the vault's tenant. ${grant}.`,
      );
    case 429:
      return make('throttled', 'throttled', `${where}: Key Vault is throttling requests (${said}); retry later.`, e.retryAfterMs);
  }
  if (e.status === undefined || e.status === 408 || e.status >= 500) {
    return make(
      'transient',
      'unavailable',
      `${where} could not be read: Key Vault is unreachable or failing (${said}); retry later. If it persists, check the vault URL and the network path to the vault.`,
    );
  }
  return make('permanent', 'rejected', `Key Vault refused to read ${where} (${said}).`);
}

function setCommand(vaultUrl: string, name: string): string {
  return `\`az keyvault secret set --vault-name ${vaultName(vaultUrl)} --name ${name} --value <PAT>\``;
}

function vaultName(vaultUrl: string): string {
  try {
    return new URL(vaultUrl).hostname.split('.')[0] ?? vaultUrl;
  } catch {
    return vaultUrl;
  }
}

/** Status, code and the first line of the service's message: enough to diagnose, never a value. */
function summary(e: AzureRestFailure): string {
  const parts = [e.status === undefined ? undefined : `HTTP ${e.status}`, e.code, e.message.split('\n')[0]?.slice(0, 300)];
  return parts.filter((p) => p).join(' ') || 'no details';
}
