import { describe, expect, it } from 'vitest';
import { errorKind } from '../errors/scaler-error';
import { secretError } from './secret-errors';

// Errors shaped like @azure/core-rest-pipeline's RestError and @azure/identity's errors, for
// the answers the emulator does not produce (RBAC denial, throttling, outages).
const vaultUrl = 'https://contoso-kv.vault.azure.net';
const restError = (statusCode: number | undefined, code: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name: 'RestError', statusCode, code, ...extra });

describe('secretError', () => {
  it('turns an RBAC denial into a permanent error that says which role to grant', () => {
    const err = secretError(
      restError(403, 'Forbidden', 'Caller is not authorized to perform action on resource.\nCaller: appid=...', {
        details: { error: { code: 'Forbidden', innerError: { code: 'ForbiddenByRbac' } } },
      }),
      vaultUrl,
      'ado-pat',
    );
    expect(err).toMatchObject({ kind: 'permanent', failure: 'forbidden', secretName: 'ado-pat', vaultUrl });
    expect(err.message).toContain('Key Vault Secrets User');
    expect(err.message).toContain('HTTP 403 Forbidden Caller is not authorized to perform action on resource.');
    expect(err.message).not.toContain('appid');
  });

  it('recognises a disabled secret by its inner error code', () => {
    const err = secretError(
      restError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', {
        details: { error: { innerError: { code: 'SecretDisabled' } } },
      }),
      vaultUrl,
      'ado-pat',
    );
    expect(err).toMatchObject({ kind: 'permanent', failure: 'disabled' });
    expect(err.message).toContain('az keyvault secret set --vault-name contoso-kv --name ado-pat');
  });

  it('makes throttling a throttled error with the Retry-After time', () => {
    const headers = { get: (name: string) => (name === 'retry-after' ? '7' : undefined) };
    const err = secretError(restError(429, 'Throttled', 'Too many requests', { response: { headers } }), vaultUrl, 'ado-pat');
    expect(err).toMatchObject({ kind: 'throttled', failure: 'throttled', retryAfterMs: 7000 });
    expect(errorKind(err)).toBe('throttled');
  });

  it('makes outages and network failures transient', () => {
    for (const cause of [
      restError(503, 'ServiceUnavailable', 'Service Unavailable'),
      restError(undefined, 'ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.4:443'),
      new TypeError('fetch failed'),
      'socket hang up',
    ]) {
      expect(secretError(cause, vaultUrl, 'ado-pat')).toMatchObject({ kind: 'transient', failure: 'unavailable' });
    }
  });

  it('makes a missing credential permanent and says how to provide one', () => {
    const cause = Object.assign(new Error('ManagedIdentityCredential: Authentication failed.'), { name: 'CredentialUnavailableError' });
    const err = secretError(cause, vaultUrl, 'ado-pat');
    expect(err).toMatchObject({ kind: 'permanent', failure: 'no-credential' });
    expect(err.message).toContain('managed identity');
  });

  it('keeps other client errors permanent', () => {
    expect(secretError(restError(400, 'BadParameter', 'bad'), vaultUrl, 'ado-pat')).toMatchObject({
      kind: 'permanent',
      failure: 'rejected',
      details: { status: 400 },
    });
  });
});
