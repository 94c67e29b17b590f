import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Clock } from '../core/clock';
import { FaultInjector } from '../core/faults';
import { readBody } from '../core/read-body';
import { RequestLog, type LogEntry } from '../core/request-log';
import { errorStatus, startEmulatorServer } from '../core/server';
import { testTls } from '../core/test-ca';
import type { TestTls } from '../core/test-ca';
import { faultAnswer, UNAVAILABLE_MESSAGE, type KeyVaultFault } from './key-vault-faults';
import { resolveToLoopback } from './loopback-dns';
import { errorBody } from './secret-shapes';
import { SecretStore } from './secret-store';
import type { SecretVersion, VersionAttributes } from './secret-store';
import { secretsApi } from './secrets-api';

export type { KeyVaultFault } from './key-vault-faults';

/** The resource Key Vault names in its challenge; tokens must be issued for it. */
export const VAULT_RESOURCE = 'https://vault.azure.net';
/** Resolves to 127.0.0.1 in the emulator's process (see loopback-dns.ts for why not localhost). */
export const DEFAULT_VAULT_HOST = 'emulator.vault.azure.net';
export const DEFAULT_TENANT_ID = '00000000-0000-0000-0000-00000000e000';

export interface KeyVaultEmulatorOptions {
  port?: number;
  /** Host in the vault URL. `localhost` works only for clients with disableChallengeResourceVerification. */
  hostname?: string;
  /** Bearer tokens to accept; any token by default. */
  acceptedTokens?: string[] | ((token: string) => boolean);
  /** For created/updated times; `Date.now` by default. */
  now?: Clock;
  tenantId?: string;
  /** Defaults to the process's test CA (TEST_TLS_DIR, see test/global-setup.ts). */
  tls?: TestTls;
}

/** The common request log entry (emulators/core/request-log.ts); `hasToken`: it carried a bearer token. */
export type KeyVaultRequest = LogEntry<{ readonly hasToken: boolean }>;

export interface KeyVaultEmulator {
  /** The vault URL to give SecretClient, e.g. https://emulator.vault.azure.net:41234 */
  url: string;
  setSecret(name: string, value: string, attrs?: VersionAttributes): SecretVersion;
  /** Oldest first; empty for an unknown or deleted secret. */
  versions(name: string): SecretVersion[];
  requests(): KeyVaultRequest[];
  /**
   * false: an outage; every request is answered 503 `ServiceUnavailable` (logged in `requests()`)
   * until set back to true. Secrets are kept.
   */
  setAvailable(available: boolean): void;
  /**
   * Fails the next `fault.count` matching authenticated calls in Key Vault's error shape (429
   * `Throttled`, 503 `ServiceUnavailable`, ...; emulators/README.md "Core"), logged as `injected`.
   */
  injectFault(fault: KeyVaultFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startKeyVaultEmulator(options: KeyVaultEmulatorOptions = {}): Promise<KeyVaultEmulator> {
  const now = options.now ?? Date.now;
  const store = new SecretStore(now);
  const tls = options.tls ?? (await testTls());
  if (!options.tls) warnIfUntrusted(tls);
  const hostname = (options.hostname ?? DEFAULT_VAULT_HOST).toLowerCase();
  const accepts = acceptor(options.acceptedTokens);
  const challenge = `Bearer authorization="https://login.windows.net/${options.tenantId ?? DEFAULT_TENANT_ID}", resource="${VAULT_RESOURCE}"`;
  const log = new RequestLog<{ hasToken: boolean }>({ now });
  const faults = new FaultInjector<{ code?: string; message?: string }>();
  let url = '';
  let available = true;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'https://vault.invalid');
    const { pathname, searchParams } = parsed;
    const method = req.method ?? 'GET';
    const token = bearerToken(req.headers.authorization);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'x-ms-request-id': randomUUID(),
        'x-ms-keyvault-service-version': '1.9.0.0',
        ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...headers,
      });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      const raw = await readBody(req, MAX_BODY_BYTES);
      const note = log.track(req, res, parsed, raw, { hasToken: token !== undefined });
      if (!available) return send(503, errorBody('ServiceUnavailable', UNAVAILABLE_MESSAGE));
      // Like Key Vault, authenticate before looking at the request: the SDK's first request
      // is an empty-bodied probe without a token, made to learn the challenge.
      if (token === undefined) {
        return send(401, errorBody('Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.'), {
          'www-authenticate': challenge,
        });
      }
      if (!accepts(token)) {
        return send(401, errorBody('Unauthorized', 'AKV10022: Invalid audience or token not issued for this vault.'), {
          'www-authenticate': challenge,
        });
      }
      const fault = faults.take(method, pathname);
      if (fault) {
        note({ injected: true });
        const answer = faultAnswer(fault);
        return send(answer.status, answer.body, answer.headers);
      }
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        return send(400, errorBody('BadParameter', 'The request body is not valid JSON.'));
      }
      const answer = secretsApi(store, url, { method, path: pathname, query: searchParams, body });
      send(answer.status, answer.body);
    } catch (err) {
      const status = errorStatus(err);
      send(status, errorBody(status === 413 ? 'BadParameter' : 'InternalServerError', `Key Vault emulator failed: ${(err as Error).message}`));
    }
  }

  let releaseName = () => {};
  const server = await startEmulatorServer({
    ...(options.port !== undefined ? { port: options.port } : {}),
    tls,
    handle,
    errorAnswer: (err) => ({ status: 500, body: errorBody('InternalServerError', `Key Vault emulator failed: ${(err as Error).message}`) }),
    onClose: () => releaseName(),
  });
  url = server.origin(hostname);
  if (hostname !== 'localhost' && !isIP(hostname)) releaseName = resolveToLoopback(hostname);

  return {
    url,
    setSecret: (name, value, attrs) => {
      if (store.getDeleted(name)) throw new Error(`secret ${name} is soft-deleted; purge it first`);
      return store.set(name, value, attrs);
    },
    versions: (name) => [...(store.get(name)?.versions ?? [])],
    requests: () => log.all(),
    setAvailable: (value) => {
      available = value;
    },
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}

/** A client in this process that does not trust the CA fails with "unable to verify the first certificate". */
function warnIfUntrusted(tls: TestTls): void {
  const trusted = process.env.NODE_EXTRA_CA_CERTS;
  if (tls.caPath && trusted && path.dirname(trusted) === path.dirname(tls.caPath)) return;
  console.warn(
    'Key Vault emulator: this process does not trust the test CA, so HTTPS clients here will reject the emulator. ' +
      'Run vitest with test/global-setup.ts (it sets NODE_EXTRA_CA_CERTS before workers start).',
  );
}

function acceptor(accepted: KeyVaultEmulatorOptions['acceptedTokens']): (token: string) => boolean {
  if (accepted === undefined) return () => true;
  if (typeof accepted === 'function') return accepted;
  return (token) => accepted.includes(token);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
