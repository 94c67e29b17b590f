import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock';
import { FaultInjector } from '../core/faults';
import { readBody } from '../core/read-body';
import { RequestLog, type LoggedRequest } from '../core/request-log';
import { startEmulatorServer } from '../core/server';
import { faultAnswer, type IdentityFault } from './identity-faults';

export type { IdentityFault } from './identity-faults';

// The App Service / Functions managed identity endpoint (api-version 2019-08-01) as MSAL's
// AppService source calls it: GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=R
// [&client_id=|mi_res_id=|principal_id=] with header X-IDENTITY-HEADER: {IDENTITY_HEADER}.
// MSAL picks its managed identity source, and so this endpoint, once per process: start one
// emulator per test process and set its env before the first token request.

export const APP_SERVICE_MSI_API_VERSION = '2019-08-01';
export const SYSTEM_ASSIGNED_CLIENT_ID = '5e29463d-71da-4fe0-8e69-999b57db23b0';
const TOKEN_PATH = '/msi/token';

export interface IdentityEmulatorOptions {
  port?: number;
  /** The IDENTITY_HEADER secret; random by default. */
  header?: string;
  /** Lifetime of issued tokens; App Service tokens live about a day, one hour by default. */
  tokenLifetimeSeconds?: number;
  /** For expiry (`Date.now` by default); MSAL compares expires_on with the real clock. */
  now?: Clock;
  tenantId?: string;
}

export interface IssuedToken {
  resource: string;
  token: string;
  /** Unix seconds, as `expires_on` on the wire. */
  expiresOn: number;
  clientId: string;
}

export interface IdentityEmulator {
  endpoint: string;
  header: string;
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  issued(): IssuedToken[];
  /** Issued here, not expired, and (when given) for `resource` (trailing `/` and `/.default` ignored). */
  isValid(token: string, resource?: string): boolean;
  /** Every call, X-IDENTITY-HEADER redacted (emulators/core/request-log.ts). */
  requests(): IdentityRequest[];
  /**
   * Fails the next `fault.count` matching calls that carry the right X-IDENTITY-HEADER with the
   * App Service endpoint's error body (identity-faults.ts; emulators/README.md "Core").
   */
  injectFault(fault: IdentityFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export type IdentityRequest = LoggedRequest;

const MAX_BODY_BYTES = 64 * 1024;

export async function startIdentityEmulator(options: IdentityEmulatorOptions = {}): Promise<IdentityEmulator> {
  const header = options.header ?? randomUUID();
  const now = options.now ?? Date.now;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const tenantId = options.tenantId ?? '00000000-0000-0000-0000-00000000e000';
  const tokens = new Map<string, IssuedToken>();
  const log = new RequestLog({ now, secretHeaders: ['x-identity-header'] });
  const faults = new FaultInjector<{ message?: string }>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const note = log.track(req, res, url, await readBody(req, MAX_BODY_BYTES), {});
    const send = (status: number, body: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (status: number, error: string, description: string) =>
      send(status, { statusCode: status, error, error_description: description, message: description });

    if (url.pathname.replace(/\/$/, '').toLowerCase() !== TOKEN_PATH) return refuse(404, 'not_found', `No endpoint at ${url.pathname}.`);
    if (req.method !== 'GET') return refuse(405, 'invalid_request', 'Only GET is supported.');
    if (req.headers['x-identity-header'] !== header) {
      return refuse(400, 'invalid_request', 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.');
    }
    const fault = faults.take(req.method ?? 'GET', url.pathname);
    if (fault) {
      note({ injected: true });
      const answer = faultAnswer(fault);
      return send(answer.status, answer.body, answer.headers);
    }
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion !== APP_SERVICE_MSI_API_VERSION) {
      return refuse(400, 'invalid_request', `Unsupported api-version ${apiVersion ?? '(none)'}; expected ${APP_SERVICE_MSI_API_VERSION}.`);
    }
    const resource = url.searchParams.get('resource');
    if (!resource) return refuse(400, 'invalid_request', 'The resource query parameter is required.');

    const clientId = url.searchParams.get('client_id') ?? SYSTEM_ASSIGNED_CLIENT_ID;
    const issuedAt = Math.floor(now() / 1000);
    const expiresOn = issuedAt + lifetime;
    const token = jwtLike({
      aud: resource,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: expiresOn,
      appid: clientId,
      oid: url.searchParams.get('principal_id') ?? randomUUID(),
      xms_mirid: url.searchParams.get('mi_res_id') ?? undefined,
      tid: tenantId,
      idtyp: 'app',
    });
    tokens.set(token, { resource, token, expiresOn, clientId });
    // expires_on is a string of Unix seconds, as in the App Service documentation's sample.
    send(200, { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: clientId });
  }

  const server = await startEmulatorServer({
    ...(options.port !== undefined ? { port: options.port } : {}),
    handle,
    errorAnswer: (err) => ({ status: 500, body: { statusCode: 500, error: 'server_error', message: `Identity emulator failed: ${(err as Error).message}` } }),
  });
  const endpoint = `${server.origin()}${TOKEN_PATH}`;

  return {
    endpoint,
    header,
    env: { IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: header },
    issued: () => [...tokens.values()],
    isValid: (token, resource) => {
      const issued = tokens.get(token);
      if (!issued || issued.expiresOn * 1000 <= now()) return false;
      return resource === undefined || normalResource(issued.resource) === normalResource(resource);
    },
    requests: () => log.all(),
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    close: () => server.close(),
  };
}

function normalResource(resource: string): string {
  return resource
    .replace(/\/\.default$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

/** Shaped like an Entra access token so consumers may read `aud`; the signature is random. */
function jwtLike(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256', kid: 'emulator' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
}

/**
 * Points managed identity credentials of this process at the emulator; returns the undo.
 * Call before the first credential asks for a token (see the note at the top).
 */
export function useIdentityEnv(emulator: Pick<IdentityEmulator, 'env'>): () => void {
  const saved = Object.fromEntries(Object.keys(emulator.env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, emulator.env);
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
