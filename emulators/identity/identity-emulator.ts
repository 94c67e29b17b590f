import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

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
  /** Milliseconds since the epoch, for expiry; MSAL compares expires_on with the real clock. */
  now?: () => number;
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
  close(): Promise<void>;
}

export async function startIdentityEmulator(options: IdentityEmulatorOptions = {}): Promise<IdentityEmulator> {
  const header = options.header ?? randomUUID();
  const now = options.now ?? Date.now;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const tenantId = options.tenantId ?? '00000000-0000-0000-0000-00000000e000';
  const tokens = new Map<string, IssuedToken>();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const refuse = (status: number, error: string, description: string) =>
      send(status, { statusCode: status, error, error_description: description, message: description });

    if (url.pathname.replace(/\/$/, '').toLowerCase() !== TOKEN_PATH) return refuse(404, 'not_found', `No endpoint at ${url.pathname}.`);
    if (req.method !== 'GET') return refuse(405, 'invalid_request', 'Only GET is supported.');
    if (req.headers['x-identity-header'] !== header) {
      return refuse(400, 'invalid_request', 'The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.');
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

  const server = http.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  const endpoint = `http://127.0.0.1:${port}${TOKEN_PATH}`;

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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
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
