import type { SecretVersion, StoredSecret } from './secret-store';

// Wire shapes as in test/fixtures/keyvault/*.7.5.json: single secrets carry
// recoveryLevel, list items do not and never carry `value`.

const RECOVERY_LEVEL = 'Recoverable+Purgeable';

export interface KeyVaultErrorBody {
  error: { code: string; message: string; innererror?: { code: string } };
}

export function errorBody(code: string, message: string, innerCode?: string): KeyVaultErrorBody {
  return { error: { code, message, ...(innerCode ? { innererror: { code: innerCode } } : {}) } };
}

function attributes(v: SecretVersion, withRecoveryLevel: boolean) {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    ...(withRecoveryLevel ? { recoveryLevel: RECOVERY_LEVEL } : {}),
  };
}

function extras(v: SecretVersion) {
  return {
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags !== undefined ? { tags: v.tags } : {}),
  };
}

/** GET/PUT answer; PATCH answers the same without the value. */
export function secretBundle(vaultUrl: string, secret: StoredSecret, v: SecretVersion, withValue: boolean) {
  return {
    ...(withValue ? { value: v.value } : {}),
    ...extras(v),
    id: `${vaultUrl}/secrets/${secret.name}/${v.version}`,
    attributes: attributes(v, true),
  };
}

/** An item of GET /secrets: the secret's id without version, the latest version's attributes. */
export function secretItem(vaultUrl: string, secret: StoredSecret, latest: SecretVersion) {
  return { ...extras(latest), id: `${vaultUrl}/secrets/${secret.name}`, attributes: attributes(latest, false) };
}

/** An item of GET /secrets/{name}/versions. */
export function versionItem(vaultUrl: string, secret: StoredSecret, v: SecretVersion) {
  return { ...extras(v), id: `${vaultUrl}/secrets/${secret.name}/${v.version}`, attributes: attributes(v, false) };
}

export function deletedSecretBundle(vaultUrl: string, secret: StoredSecret, latest: SecretVersion) {
  return {
    recoveryId: `${vaultUrl}/deletedsecrets/${secret.name}`,
    deletedDate: secret.deleted?.deletedDate,
    scheduledPurgeDate: secret.deleted?.scheduledPurgeDate,
    ...secretBundle(vaultUrl, secret, latest, false),
  };
}

/** Key Vault's wording for a missing secret, which users search for. */
export function notFoundMessage(name: string): string {
  return (
    `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret ` +
    'you may be able to recover it using the correct recovery command. For help resolving this issue, ' +
    'please see https://go.microsoft.com/fwlink/?linkid=2125182'
  );
}
