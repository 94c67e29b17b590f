import { DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityEmulator, useIdentityEnv } from '../identity/identity-emulator';
import type { IdentityEmulator } from '../identity/identity-emulator';
import { VAULT_RESOURCE, startKeyVaultEmulator } from './key-vault-emulator';
import type { KeyVaultEmulator } from './key-vault-emulator';

// Real SecretClient + DefaultAzureCredential (managed identity via the identity emulator)
// against the Key Vault emulator over HTTPS, trusted through NODE_EXTRA_CA_CERTS set by
// test/global-setup.ts. No client option differs from production.

let identity: IdentityEmulator;
let restoreEnv: () => void;
let vault: KeyVaultEmulator;
let client: SecretClient;

beforeAll(async () => {
  identity = await startIdentityEmulator();
  restoreEnv = useIdentityEnv(identity);
  vault = await startKeyVaultEmulator({ acceptedTokens: (token) => identity.isValid(token, VAULT_RESOURCE) });
  client = new SecretClient(vault.url, new DefaultAzureCredential());
});

afterAll(async () => {
  await vault?.close();
  await identity?.close();
  restoreEnv?.();
});

describe('Key Vault emulator with the real SecretClient', () => {
  it('answers the first request with the bearer challenge, then accepts the managed identity token', async () => {
    const fresh = new SecretClient(vault.url, new DefaultAzureCredential());
    const before = vault.requests().length;

    await fresh.setSecret('challenge-flow', 'pat-1');

    const calls = vault.requests().slice(before);
    expect(calls.map(({ method, path, status, hasToken }) => ({ method, path, status, hasToken }))).toEqual([
      { method: 'PUT', path: '/secrets/challenge-flow', status: 401, hasToken: false },
      { method: 'PUT', path: '/secrets/challenge-flow', status: 200, hasToken: true },
    ]);
    // The log keeps what was sent, the token only as its kind.
    expect(calls[1]).toMatchObject({ body: expect.stringContaining('pat-1') as unknown, headers: { authorization: 'Bearer <token>' } });
    expect(identity.issued().some((t) => t.resource === VAULT_RESOURCE)).toBe(true);

    // Once authenticated, the client sends its token straight away.
    await fresh.getSecret('challenge-flow');
    expect(vault.requests().slice(before + 2)).toMatchObject([{ method: 'GET', path: '/secrets/challenge-flow/', status: 200, hasToken: true }]);
  });

  it('plays an outage: 503 ServiceUnavailable for every request until available again, secrets kept', async () => {
    await client.setSecret('outage', 'kept');
    vault.setAvailable(false);
    try {
      const response = await fetch(`${vault.url}/secrets/outage/?api-version=7.5`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry the request.' },
      });
      expect(vault.requests().at(-1)).toMatchObject({ method: 'GET', status: 503 });
    } finally {
      vault.setAvailable(true);
    }
    expect((await client.getSecret('outage')).value).toBe('kept');
  });

  it("fails injected calls in Key Vault's words: the SDK waits out a 429 with Retry-After, and gives up on one without", async () => {
    await client.setSecret('throttled', 'pat');
    let before = vault.requests().length;
    // Method and path match case-insensitively (emulators/core/faults.ts).
    vault.injectFault({ status: 429, retryAfterSeconds: 0, count: 1, method: 'get', pathContains: '/SECRETS/throttled' });
    expect((await client.getSecret('throttled')).value).toBe('pat');
    expect(
      vault
        .requests()
        .slice(before)
        .map((r) => [r.status, r.injected ?? false]),
    ).toEqual([
      [429, true],
      [200, false],
    ]);

    before = vault.requests().length;
    vault.injectFault({ status: 429, count: 3, pathContains: '/secrets/throttled' });
    await expect(client.getSecret('throttled')).rejects.toMatchObject({
      statusCode: 429,
      code: 'Throttled',
      message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached',
    });
    expect(vault.requests().length - before).toBe(1); // no Retry-After: the SDK does not retry a 429
    vault.clearFaults();
    expect((await client.getSecret('throttled')).value).toBe('pat');
    expect(() => vault.injectFault({ status: 200, count: 1 })).toThrow(/"status" must be an HTTP error status/);
  });

  it('challenges in Key Vault format', async () => {
    const response = await fetch(`${vault.url}/secrets/anything/?api-version=7.5`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer authorization="https:\/\/login\.windows\.net\/[0-9a-f-]+", resource="https:\/\/vault\.azure\.net"$/,
    );
    expect(await response.json()).toEqual({
      error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
    });
  });

  it('sets and gets a secret in the fixtures shape', async () => {
    const set = await client.setSecret('ado-pat', 'first-pat', { contentType: 'text/plain' });
    const got = await client.getSecret('ado-pat');

    expect(got.value).toBe('first-pat');
    expect(got.properties).toMatchObject({
      id: `${vault.url}/secrets/ado-pat/${set.properties.version}`,
      vaultUrl: vault.url,
      name: 'ado-pat',
      version: set.properties.version,
      enabled: true,
      contentType: 'text/plain',
      recoveryLevel: 'Recoverable+Purgeable',
    });
    expect(got.properties.createdOn).toBeInstanceOf(Date);
  });

  it('serves the latest version after a new one and keeps older versions', async () => {
    const first = await client.setSecret('rotated', 'old-pat');
    const second = await client.setSecret('rotated', 'new-pat');

    expect((await client.getSecret('rotated')).value).toBe('new-pat');
    expect((await client.getSecret('rotated', { version: first.properties.version! })).value).toBe('old-pat');
    expect(vault.versions('rotated').map((v) => v.version)).toEqual([first.properties.version, second.properties.version]);

    const listed = [];
    for await (const props of client.listPropertiesOfSecretVersions('rotated')) listed.push(props);
    expect(listed.map((p) => p.version).sort()).toEqual([first.properties.version, second.properties.version].sort());
    expect(listed.every((p) => !('value' in p))).toBe(true);
  });

  it('pages secret lists by nextLink', async () => {
    for (let i = 0; i < 12; i++) vault.setSecret(`paged-${i}`, `value-${i}`);
    const before = vault.requests().length;

    const pages: string[][] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 5 })) {
      pages.push(page.map((p) => p.name));
    }

    const names = pages.flat().filter((n) => n.startsWith('paged-'));
    expect(names).toHaveLength(12);
    expect(pages.every((p) => p.length <= 5)).toBe(true);
    const listCalls = vault
      .requests()
      .slice(before)
      .filter((r) => r.path === '/secrets');
    expect(listCalls.length).toBe(pages.length);
    expect(listCalls.length).toBeGreaterThanOrEqual(3);
  });

  it('answers 404 SecretNotFound for an unknown secret', async () => {
    await expect(client.getSecret('never-set')).rejects.toMatchObject({
      statusCode: 404,
      code: 'SecretNotFound',
      message: expect.stringContaining('never-set') as unknown,
    });
  });

  it('answers 403 Forbidden for a disabled latest version until it is enabled again', async () => {
    const set = await client.setSecret('switched-off', 'pat', { enabled: false });
    await expect(client.getSecret('switched-off')).rejects.toMatchObject({
      statusCode: 403,
      code: 'Forbidden',
      message: 'Operation get is not allowed on a disabled secret.',
    });

    await client.updateSecretProperties('switched-off', set.properties.version!, { enabled: true });
    expect((await client.getSecret('switched-off')).value).toBe('pat');
  });

  it('returns expired secrets with their expiry, as Key Vault does', async () => {
    const expiresOn = new Date(Date.now() - 60_000);
    await client.setSecret('expired', 'stale-pat', { expiresOn });
    const got = await client.getSecret('expired');
    expect(got.value).toBe('stale-pat');
    expect(got.properties.expiresOn?.getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);
  });

  it('deletes softly, then purges', async () => {
    await client.setSecret('short-lived', 'pat');
    const poller = await client.beginDeleteSecret('short-lived');
    const deleted = await poller.pollUntilDone();
    expect(deleted.recoveryId).toBe(`${vault.url}/deletedsecrets/short-lived`);
    await expect(client.getSecret('short-lived')).rejects.toMatchObject({ statusCode: 404 });
    await expect(client.setSecret('short-lived', 'again')).rejects.toMatchObject({ statusCode: 409 });

    await client.purgeDeletedSecret('short-lived');
    expect((await client.setSecret('short-lived', 'again')).value).toBe('again');
  });

  it('rejects a token it does not accept with 401', async () => {
    const strict = await startKeyVaultEmulator({ acceptedTokens: [] });
    try {
      strict.setSecret('locked', 'pat');
      const strictClient = new SecretClient(strict.url, new DefaultAzureCredential());
      await expect(strictClient.getSecret('locked')).rejects.toMatchObject({ statusCode: 401, code: 'Unauthorized' });
      expect(strict.requests().map((r) => [r.status, r.hasToken])).toContainEqual([401, true]);
    } finally {
      await strict.close();
    }
  });
});
