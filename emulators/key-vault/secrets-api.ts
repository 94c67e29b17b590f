import type { SecretStore, VersionAttributes } from './secret-store';
import { deletedSecretBundle, errorBody, notFoundMessage, secretBundle, secretItem, versionItem } from './secret-shapes';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
}

const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_RESULTS = 25;

const ok = (body: unknown): ApiResponse => ({ status: 200, body });
const fail = (status: number, code: string, message: string, inner?: string): ApiResponse => ({
  status,
  body: errorBody(code, message, inner),
});
const badParameter = (message: string) => fail(400, 'BadParameter', message);
const notFound = (name: string) => fail(404, 'SecretNotFound', notFoundMessage(name));

/** The Key Vault secrets data plane, for an already authenticated request. */
export function secretsApi(store: SecretStore, vaultUrl: string, req: ApiRequest): ApiResponse {
  const apiVersion = req.query.get('api-version');
  if (!apiVersion) return badParameter('The api-version query parameter is missing.');
  const [collection, name, third, ...rest] = req.path.split('/').slice(1);
  const unsupported = fail(501, 'NotImplemented', `The Key Vault emulator does not implement ${req.method} ${req.path}.`);
  if (rest.length > 0 || (collection !== 'secrets' && collection !== 'deletedsecrets')) return unsupported;

  if (collection === 'secrets' && !name) {
    if (req.method !== 'GET') return unsupported;
    const items = store.live().map((s) => secretItem(vaultUrl, s, s.versions.at(-1)!));
    return page(items, req, vaultUrl, apiVersion);
  }
  if (!name || !NAME.test(name)) return badParameter(`The request URI contains an invalid name: ${name ?? ''}`);

  if (collection === 'deletedsecrets') {
    if (third !== undefined) return unsupported;
    const deleted = store.getDeleted(name);
    if (!deleted) return fail(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    if (req.method === 'GET') return ok(deletedSecretBundle(vaultUrl, deleted, deleted.versions.at(-1)!));
    if (req.method === 'DELETE') return { status: store.purge(name) ? 204 : 404 };
    return unsupported;
  }

  const secret = store.get(name);
  switch (`${req.method} ${third === undefined ? 'name' : third === 'versions' ? 'versions' : 'version'}`) {
    case 'GET versions':
      if (!secret) return notFound(name);
      return page(
        secret.versions.map((v) => versionItem(vaultUrl, secret, v)),
        req,
        vaultUrl,
        apiVersion,
      );
    case 'GET name':
    case 'GET version': {
      // The SDK asks for the latest version as `/secrets/{name}/` (empty version).
      const v = third ? secret?.versions.find((x) => x.version === third) : secret?.versions.at(-1);
      if (!secret || !v) return notFound(third ? `${name}/${third}` : name);
      if (!v.enabled) return fail(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
      return ok(secretBundle(vaultUrl, secret, v, true));
    }
    case 'PUT name': {
      if (store.getDeleted(name)) {
        return fail(
          409,
          'Conflict',
          `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        );
      }
      const body = req.body as { value?: unknown } | undefined;
      if (typeof body?.value !== 'string') return badParameter('Property value is required.');
      const attrs = attributesFrom(req.body);
      if (typeof attrs === 'string') return badParameter(attrs);
      const v = store.set(name, body.value, attrs);
      return ok(secretBundle(vaultUrl, store.get(name)!, v, true));
    }
    case 'PATCH version': {
      const attrs = attributesFrom(req.body);
      if (typeof attrs === 'string') return badParameter(attrs);
      const v = store.update(name, third!, attrs);
      return v ? ok(secretBundle(vaultUrl, secret!, v, false)) : notFound(`${name}/${third}`);
    }
    case 'DELETE name': {
      const deleted = store.softDelete(name);
      return deleted ? ok(deletedSecretBundle(vaultUrl, deleted, deleted.versions.at(-1)!)) : notFound(name);
    }
    default:
      return unsupported;
  }
}

function page(items: unknown[], req: ApiRequest, vaultUrl: string, apiVersion: string): ApiResponse {
  const maxParam = req.query.get('maxresults');
  const max = maxParam === null ? MAX_RESULTS : Number(maxParam);
  if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
    return badParameter(`Invalid value for maxresults: ${maxParam}. It must be between 1 and ${MAX_RESULTS}.`);
  }
  const skipToken = req.query.get('$skiptoken');
  const skip = skipToken === null ? 0 : Number(Buffer.from(skipToken, 'base64url').toString('utf8'));
  if (!Number.isInteger(skip) || skip < 0) return badParameter('Invalid $skiptoken.');
  const end = skip + max;
  const nextLink =
    end < items.length
      ? `${vaultUrl}${req.path}?api-version=${apiVersion}&$skiptoken=${Buffer.from(String(end)).toString('base64url')}` +
        (maxParam === null ? '' : `&maxresults=${max}`)
      : null;
  return ok({ value: items.slice(skip, end), nextLink });
}

/** Reads `attributes`, `contentType` and `tags` of a PUT/PATCH body; a string is the 400 message. */
function attributesFrom(body: unknown): VersionAttributes | string {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null) return 'The request body must be a JSON object.';
  const { attributes = {}, contentType, tags } = body as Record<string, unknown>;
  if (typeof attributes !== 'object' || attributes === null) return 'attributes must be an object.';
  const { enabled, exp, nbf } = attributes as Record<string, unknown>;
  if (enabled !== undefined && typeof enabled !== 'boolean') return 'attributes.enabled must be a boolean.';
  for (const [key, value] of [
    ['exp', exp],
    ['nbf', nbf],
  ] as const) {
    if (value !== undefined && !Number.isInteger(value)) return `attributes.${key} must be Unix seconds.`;
  }
  if (contentType !== undefined && typeof contentType !== 'string') return 'contentType must be a string.';
  if (tags !== undefined && (typeof tags !== 'object' || tags === null)) return 'tags must be an object.';
  return {
    ...(enabled !== undefined ? { enabled } : {}),
    ...(exp !== undefined ? { exp: exp as number } : {}),
    ...(nbf !== undefined ? { nbf: nbf as number } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(tags !== undefined ? { tags: tags as Record<string, string> } : {}),
  };
}
