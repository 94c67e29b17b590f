/**
 * Plain HTTPS calls for the emulator's own tests, to see the wire shapes without a client
 * library in between (the launcher tests use client-node). Trusts the test CA through
 * NODE_EXTRA_CA_CERTS, set by the vitest global setup.
 */
export interface RawAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export function rawClient(baseUrl: string, token = 'test-token') {
  return async (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawAnswer> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

/** Polls `check` until it returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const JOBS = '/apis/batch/v1/namespaces/agents/jobs';
export const PODS = '/api/v1/namespaces/agents/pods';
export const SECRETS = '/api/v1/namespaces/agents/secrets';

/** A minimal Job body as a client would send it. */
export function jobBody(
  name: string,
  extra: { labels?: Record<string, string>; backoffLimit?: number; env?: unknown[]; nodeSelector?: Record<string, string> } = {},
) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      ...(extra.backoffLimit !== undefined ? { backoffLimit: extra.backoffLimit } : {}),
      template: {
        metadata: { labels: extra.labels ?? {} },
        spec: {
          restartPolicy: 'Never',
          ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
          containers: [{ name: 'agent', image: 'example.azurecr.io/agent:4', env: extra.env ?? [] }],
        },
      },
    },
  };
}
