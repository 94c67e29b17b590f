import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { EmulatorError } from './emulator-error';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Namespaces of the .NET exceptions ADO names in its error bodies. */
export const DT_NAMESPACE = 'Microsoft.TeamFoundation.DistributedTask.WebApi';
export const HOOKS_NAMESPACE = 'Microsoft.VisualStudio.Services.ServiceHooks.WebApi';
export const FRAMEWORK_NAMESPACE = 'Microsoft.TeamFoundation.Framework.Server';

/** ADO's error body: the client surfaces `message`, callers branch on `typeKey`. */
export function adoErrorBody(typeKey: string, message: string, namespace = DT_NAMESPACE): Record<string, unknown> {
  return {
    $id: '1',
    innerException: null,
    message,
    typeName: `${namespace}.${typeKey}, ${namespace}`,
    typeKey,
    errorCode: 0,
    eventId: 3000,
  };
}

export function sendAdoError(
  res: ServerResponse,
  status: number,
  typeKey: string,
  message: string,
  namespace = DT_NAMESPACE,
  headers: OutgoingHttpHeaders = {},
): void {
  sendJson(res, status, adoErrorBody(typeKey, message, namespace), headers);
}

/** A request body (read once, up front, by server.ts) as an object; `{}` when empty. */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EmulatorError(400, 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EmulatorError(400, 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export function queryRecord(params: URLSearchParams): Record<string, string> {
  return Object.fromEntries(params.entries());
}

export function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined && v !== null) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `true`/`false` query values as ADO reads them (case-insensitive). */
export function queryFlag(params: URLSearchParams, name: string): boolean {
  return (params.get(name) ?? '').toLowerCase() === 'true';
}
