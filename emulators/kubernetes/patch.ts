import { badRequest, KubeError } from './status';

/**
 * PATCH bodies by Content-Type, as the API server takes them. client-node 1.x sends JSON Patch
 * (RFC 6902) unless told otherwise; merge patch (RFC 7386) is what kubectl --type=merge sends.
 * Strategic merge is treated as a merge patch (lists are replaced, not merged by key).
 */
export function applyPatch(target: Record<string, unknown>, contentType: string, body: unknown): Record<string, unknown> {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json-patch+json') return jsonPatch(target, body);
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') return mergePatch(target, body) as Record<string, unknown>;
  throw new KubeError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
  );
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  value?: unknown;
}

function jsonPatch(target: Record<string, unknown>, body: unknown): Record<string, unknown> {
  if (!Array.isArray(body)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  const doc = structuredClone(target);
  for (const op of body as Operation[]) {
    const tokens = pointer(op.path);
    const last = tokens.pop();
    if (last === undefined)
      throw new KubeError(422, 'Invalid', `the server rejected our request due to an error in our request: replacing the whole object is not supported`);
    const parent = walk(doc, tokens, op.path);
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
        else parent[last] = op.value;
        break;
      case 'replace':
      case 'remove':
      case 'test': {
        const present = Array.isArray(parent) ? Number(last) < parent.length : last in parent;
        if (!present)
          throw new KubeError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: ${op.op} operation does not apply: doc is missing path: "${op.path}"`,
          );
        const current: unknown = Array.isArray(parent) ? parent[Number(last)] : parent[last];
        if (op.op === 'test' && JSON.stringify(current) !== JSON.stringify(op.value)) {
          throw new KubeError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${op.path} failed`);
        }
        if (op.op === 'remove') {
          if (Array.isArray(parent)) parent.splice(Number(last), 1);
          else delete parent[last];
        }
        if (op.op === 'replace') {
          if (Array.isArray(parent)) parent[Number(last)] = op.value;
          else parent[last] = op.value;
        }
        break;
      }
      default:
        throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

function pointer(path: string): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw badRequest(`invalid JSON pointer "${String(path)}"`);
  return path
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(doc: Record<string, unknown>, tokens: string[], path: string): Record<string, unknown> | unknown[] {
  let node: unknown = doc;
  for (const token of tokens) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (!isObject(node) && !Array.isArray(node)) {
      throw new KubeError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${path}"`);
    }
  }
  return node as Record<string, unknown> | unknown[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
