import { DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentityEmulator, useIdentityEnv } from '../../emulators/identity/identity-emulator';
import type { IdentityEmulator } from '../../emulators/identity/identity-emulator';
import { VAULT_RESOURCE, startKeyVaultEmulator } from '../../emulators/key-vault/key-vault-emulator';
import type { KeyVaultEmulator } from '../../emulators/key-vault/key-vault-emulator';
import { DEFAULT_PAT_TTL_MS, createPatStore } from './pat-store';
import { SecretAccessError } from './secret-errors';

// The production construction (createPatStore with DefaultAzureCredential, the default
// SecretClient) against the Key Vault emulator, authenticated by the managed identity emulator.

let identity: IdentityEmulator;
let restoreEnv: () => void;
let vault: KeyVaultEmulator;
let credential: DefaultAzureCredential;

beforeAll(async () => {
  identity = await startIdentityEmulator();
  restoreEnv = useIdentityEnv(identity);
  vault = await startKeyVaultEmulator({ acceptedTokens: (token) => identity.isValid(token, VAULT_RESOURCE) });
  credential = new DefaultAzureCredential();
});

afterAll(async () => {
  await vault?.close();
  await identity?.close();
  restoreEnv?.();
});

function manualClock() {
  let t = Date.parse('2030-01-01T00:00:00Z');
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Authenticated reads of the secret's latest version that reached the vault. */
function vaultReads(emulator: KeyVaultEmulator, name: string): number {
  return emulator.requests().filter((r) => r.method === 'GET' && r.path === `/secrets/${name}/` && r.hasToken).length;
}

async function failure(promise: Promise<unknown>): Promise<SecretAccessError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecretAccessError);
  return err as SecretAccessError;
}

describe('PAT store', () => {
  it('serves the PAT from memory within the TTL, with one client per vault', async () => {
    vault.setSecret('cached-pat', 'pat-1');
    vault.setSecret('other-pat', 'pat-2');
    const created: string[] = [];
    const store = createPatStore({
      credential,
      now: manualClock().now,
      createClient: (url, cred) => (created.push(url), new SecretClient(url, cred)),
    });

    expect(await store.get({ vaultUrl: vault.url, name: 'cached-pat' })).toBe('pat-1');
    expect(await store.get({ vaultUrl: `${vault.url}/`, name: 'Cached-PAT' })).toBe('pat-1');
    expect(await store.get({ vaultUrl: vault.url, name: 'other-pat' })).toBe('pat-2');

    expect(vaultReads(vault, 'cached-pat')).toBe(1);
    expect(created).toEqual([vault.url]);
  });

  it('picks up a new version once the TTL has passed', async () => {
    vault.setSecret('rotating-pat', 'old');
    const clock = manualClock();
    const store = createPatStore({ credential, now: clock.now });
    const ref = { vaultUrl: vault.url, name: 'rotating-pat' };

    expect(await store.get(ref)).toBe('old');
    vault.setSecret('rotating-pat', 'new');
    clock.advance(DEFAULT_PAT_TTL_MS - 1);
    expect(await store.get(ref)).toBe('old');
    clock.advance(1);
    expect(await store.get(ref)).toBe('new');
    expect(vaultReads(vault, 'rotating-pat')).toBe(2);
  });

  it('refresh reads the latest version at once and updates the cache', async () => {
    vault.setSecret('refreshed-pat', 'before-401');
    const store = createPatStore({ credential, now: manualClock().now });
    const ref = { vaultUrl: vault.url, name: 'refreshed-pat' };

    await store.get(ref);
    vault.setSecret('refreshed-pat', 'after-401');
    expect(await store.refresh(ref)).toBe('after-401');
    expect(await store.get(ref)).toBe('after-401');
    expect(vaultReads(vault, 'refreshed-pat')).toBe(2);
  });

  it('invalidate makes the next get read the vault', async () => {
    vault.setSecret('event-pat', 'v1');
    const store = createPatStore({ credential, now: manualClock().now });
    const ref = { vaultUrl: vault.url, name: 'event-pat' };

    await store.get(ref);
    vault.setSecret('event-pat', 'v2');
    store.invalidate(ref);
    expect(await store.get(ref)).toBe('v2');
    vault.setSecret('event-pat', 'v3');
    store.invalidate();
    expect(await store.get(ref)).toBe('v3');
  });

  it('shares one read among concurrent gets, and among concurrent refreshes', async () => {
    vault.setSecret('busy-pat', 'shared');
    const store = createPatStore({ credential, now: manualClock().now });
    const ref = { vaultUrl: vault.url, name: 'busy-pat' };

    expect(await Promise.all([1, 2, 3, 4, 5].map(() => store.get(ref)))).toEqual(Array(5).fill('shared'));
    expect(vaultReads(vault, 'busy-pat')).toBe(1);

    await Promise.all([1, 2, 3].map(() => store.refresh(ref)));
    expect(vaultReads(vault, 'busy-pat')).toBe(2);
  });

  it('reports a missing secret as permanent, naming the vault and the secret', async () => {
    const store = createPatStore({ credential });
    const err = await failure(store.get({ vaultUrl: vault.url, name: 'missing-pat' }));

    expect(err).toMatchObject({ kind: 'permanent', failure: 'not-found', vaultUrl: vault.url, secretName: 'missing-pat' });
    expect(err.message).toContain(vault.url);
    expect(err.message).toContain('az keyvault secret set --vault-name emulator --name missing-pat');
  });

  it('reports expired and disabled secrets as permanent, without their value', async () => {
    const clock = manualClock();
    vault.setSecret('expired-pat', 'value-of-expired-pat', { exp: Math.floor(clock.now() / 1000) - 60 });
    vault.setSecret('disabled-pat', 'value-of-disabled-pat', { enabled: false });
    const store = createPatStore({ credential, now: clock.now });

    const expired = await failure(store.get({ vaultUrl: vault.url, name: 'expired-pat' }));
    const disabled = await failure(store.get({ vaultUrl: vault.url, name: 'disabled-pat' }));

    expect(expired).toMatchObject({ kind: 'permanent', failure: 'expired' });
    expect(disabled).toMatchObject({ kind: 'permanent', failure: 'disabled' });
    for (const err of [expired, disabled]) {
      expect(err.message).toContain(err.secretName);
      expect(err.message).not.toContain('value-of');
      expect(JSON.stringify(err)).not.toContain('value-of');
    }
  });

  it('reports a vault that rejects the identity as permanent, saying what to grant', async () => {
    const locked = await startKeyVaultEmulator({ acceptedTokens: [] });
    try {
      locked.setSecret('locked-pat', 'value-of-locked-pat');
      const err = await failure(createPatStore({ credential }).get({ vaultUrl: locked.url, name: 'locked-pat' }));
      expect(err).toMatchObject({ kind: 'permanent', failure: 'unauthorized' });
      expect(err.message).toContain('Key Vault Secrets User');
    } finally {
      await locked.close();
    }
  });

  it('treats an unreachable vault as transient; get keeps serving the cached PAT meanwhile', async () => {
    const down = await startKeyVaultEmulator({ acceptedTokens: (token) => identity.isValid(token, VAULT_RESOURCE) });
    down.setSecret('far-pat', 'still-valid');
    const clock = manualClock();
    const store = createPatStore({ credential, now: clock.now });
    const ref = { vaultUrl: down.url, name: 'far-pat' };
    await store.get(ref);

    await down.close();
    clock.advance(DEFAULT_PAT_TTL_MS);
    const [stale, refreshed, uncached] = await Promise.allSettled([store.get(ref), store.refresh(ref), createPatStore({ credential }).get(ref)]);

    expect(stale).toEqual({ status: 'fulfilled', value: 'still-valid' });
    for (const result of [refreshed, uncached]) {
      expect(result.status).toBe('rejected');
      const reason: unknown = result.status === 'rejected' ? result.reason : undefined;
      expect(reason).toBeInstanceOf(SecretAccessError);
      expect(reason).toMatchObject({ kind: 'transient', failure: 'unavailable', secretName: 'far-pat' });
    }
  });

  it('rejects a vault URL that is not a URL as permanent', async () => {
    const err = await failure(createPatStore({ credential }).get({ vaultUrl: 'my-vault', name: 'ado-pat' }));
    expect(err).toMatchObject({ kind: 'permanent', failure: 'invalid-vault-url' });
  });
});
