import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { KeyVaultSecret } from '@azure/keyvault-secrets';
import { systemClock, type Clock } from '../time/clock';
import { SecretAccessError, invalidVaultUrl, secretError, unusableSecret } from './secret-errors';

export interface SecretRef {
  readonly vaultUrl: string;
  readonly name: string;
}

export interface PatStore {
  /** The PAT, from memory while younger than the TTL. */
  get(ref: SecretRef): Promise<string>;
  /** The latest version from the vault now: after ADO answers 401, or a SecretNewVersionCreated event. */
  refresh(ref: SecretRef): Promise<string>;
  /** Forgets cached values (every one without `ref`), so the next `get` reads the vault. */
  invalidate(ref?: SecretRef): void;
  /** The Key Vault version of the cached value, to tell a rejected PAT from its successor. */
  version(ref: SecretRef): string | undefined;
}

export interface PatStoreDeps {
  credential: TokenCredential;
  /** How long a read value is served from memory; 5 minutes by default. */
  ttlMs?: number;
  /** Decides when a cached PAT has outlived the TTL or its expiry. */
  now?: Clock;
  createClient?: (vaultUrl: string, credential: TokenCredential) => SecretClient;
}

export const DEFAULT_PAT_TTL_MS = 5 * 60_000;

interface Cached {
  value: string;
  readAt: number;
  expiresAt?: number;
  version?: string;
}

interface Read {
  promise: Promise<string>;
  /** Started by `refresh`: a later `refresh` may share it, since it began after the caller's 401. */
  latest: boolean;
}

export function createPatStore(deps: PatStoreDeps): PatStore {
  const ttlMs = deps.ttlMs ?? DEFAULT_PAT_TTL_MS;
  const now = deps.now ?? systemClock;
  const createClient = deps.createClient ?? ((url, credential) => new SecretClient(url, credential));
  const clients = new Map<string, SecretClient>();
  const cache = new Map<string, Cached>();
  const reads = new Map<string, Read>();

  function locate(ref: SecretRef): { key: string; vaultUrl: string } {
    let vaultUrl: string;
    try {
      vaultUrl = new URL(ref.vaultUrl).origin;
    } catch {
      throw invalidVaultUrl(ref.vaultUrl, ref.name);
    }
    // Key Vault secret names are case-insensitive.
    return { key: `${vaultUrl}/secrets/${ref.name.toLowerCase()}`, vaultUrl };
  }

  async function readVault(vaultUrl: string, name: string): Promise<Cached> {
    let secret: KeyVaultSecret;
    try {
      let client = clients.get(vaultUrl);
      if (!client) clients.set(vaultUrl, (client = createClient(vaultUrl, deps.credential)));
      secret = await client.getSecret(name);
    } catch (err) {
      throw secretError(err, vaultUrl, name, now);
    }
    const readAt = now();
    const expiresOn = secret.properties.expiresOn;
    // Key Vault still hands out expired secrets (for recovery); an expired PAT is not one to use.
    if (expiresOn && expiresOn.getTime() <= readAt) throw unusableSecret('expired', vaultUrl, name, expiresOn);
    if (secret.properties.enabled === false) throw unusableSecret('disabled', vaultUrl, name);
    if (!secret.value) throw unusableSecret('empty', vaultUrl, name);
    const version = secret.properties.version;
    return { value: secret.value, readAt, ...(expiresOn ? { expiresAt: expiresOn.getTime() } : {}), ...(version ? { version } : {}) };
  }

  function read(key: string, vaultUrl: string, name: string, latest: boolean): Promise<string> {
    const entry: Read = { latest, promise: Promise.resolve('') };
    // Only the newest read of a key may fill the cache: one replaced by `refresh` or dropped
    // by `invalidate` may carry an older version.
    const isCurrent = () => reads.get(key) === entry;
    entry.promise = readVault(vaultUrl, name).then(
      (fresh) => {
        if (isCurrent()) {
          reads.delete(key);
          cache.set(key, fresh);
        }
        return fresh.value;
      },
      (err: unknown) => {
        if (isCurrent()) reads.delete(key);
        throw err;
      },
    );
    reads.set(key, entry);
    return entry.promise;
  }

  return {
    async get(ref) {
      const { key, vaultUrl } = locate(ref);
      const t = now();
      const hit = cache.get(key);
      const usable = hit && (hit.expiresAt === undefined || hit.expiresAt > t) ? hit : undefined;
      if (usable && t - usable.readAt < ttlMs) return usable.value;
      const pending = reads.get(key)?.promise ?? read(key, vaultUrl, ref.name, false);
      if (!usable) return pending;
      // The cached PAT is likely still valid while the vault is briefly unreachable; an ADO 401
      // leads to `refresh`, which does not fall back.
      return pending.catch((err: unknown) => {
        if (err instanceof SecretAccessError && err.kind !== 'permanent') return usable.value;
        throw err;
      });
    },
    async refresh(ref) {
      const { key, vaultUrl } = locate(ref);
      const pending = reads.get(key);
      return pending?.latest ? pending.promise : read(key, vaultUrl, ref.name, true);
    },
    invalidate(ref) {
      if (!ref) {
        cache.clear();
        reads.clear();
        return;
      }
      const { key } = locate(ref);
      cache.delete(key);
      reads.delete(key);
    },
    version(ref) {
      return cache.get(locate(ref).key)?.version;
    },
  };
}
