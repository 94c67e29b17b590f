import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SERVICE_MSI_API_VERSION, startIdentityEmulator, useIdentityEnv } from './identity-emulator';
import type { IdentityEmulator } from './identity-emulator';

// MSAL chooses the managed identity source once per process, so this file keeps one emulator
// (and its IDENTITY_ENDPOINT) for all credential tests.
let identity: IdentityEmulator;
let restoreEnv: () => void;

beforeAll(async () => {
  identity = await startIdentityEmulator();
  restoreEnv = useIdentityEnv(identity);
});

afterAll(async () => {
  await identity?.close();
  restoreEnv?.();
});

describe('managed identity emulator with @azure/identity', () => {
  it('gives ManagedIdentityCredential a token for the requested resource', async () => {
    const token = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default');

    expect(identity.isValid(token.token, 'https://vault.azure.net')).toBe(true);
    expect(identity.isValid(token.token, 'https://management.azure.com')).toBe(false);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 50 * 60 * 1000);
  });

  it('passes a user-assigned client id through as client_id', async () => {
    const token = await new ManagedIdentityCredential({ clientId: 'a1b2c3d4-0000-0000-0000-000000000001' }).getToken('https://storage.azure.com/.default');
    const issued = identity.issued().find((t) => t.token === token.token);
    expect(issued).toMatchObject({ clientId: 'a1b2c3d4-0000-0000-0000-000000000001', resource: 'https://storage.azure.com' });
  });

  it('fails injected calls with the App Service error body: MSAL retries a 500, and gives up on a 403', async () => {
    let before = identity.requests().length;
    identity.injectFault({ status: 500, count: 1, pathContains: '/MSI/TOKEN' });
    const token = await new ManagedIdentityCredential().getToken('https://retried.example.com/.default');
    expect(identity.isValid(token.token, 'https://retried.example.com')).toBe(true);
    const calls = identity.requests().slice(before);
    expect(calls.map((r) => [r.status, r.injected ?? false])).toEqual([
      [500, true],
      [200, false],
    ]);
    expect(calls[0]?.headers['x-identity-header']).toBe('<redacted>');

    before = identity.requests().length;
    identity.injectFault({ status: 403, count: 5, method: 'GET' });
    const refused = await new ManagedIdentityCredential().getToken('https://refused.example.com/.default').catch((e: unknown) => e);
    identity.clearFaults();
    // @azure/identity reports it as unavailable (DefaultAzureCredential would try its next source), with MSAL's digest of the body.
    expect(refused).toMatchObject({ name: 'CredentialUnavailableError' });
    expect((refused as Error).message).toMatch(/Description: The managed identity endpoint answered 403 \(injected fault\)\. - Correlation ID: [0-9a-f-]{36}/);
    expect(identity.requests().length - before).toBe(1);
  });

  it('gives DefaultAzureCredential a token through the same endpoint', async () => {
    const token = await new DefaultAzureCredential().getToken('499b84ac-1321-427f-aa17-267ca6975798/.default');
    expect(identity.isValid(token.token, '499b84ac-1321-427f-aa17-267ca6975798')).toBe(true);
  });
});

describe('managed identity endpoint on the wire', () => {
  const ask = (emulator: IdentityEmulator, query: string, header = emulator.header) =>
    fetch(`${emulator.endpoint}?${query}`, { headers: { 'X-IDENTITY-HEADER': header } });

  it('answers in the App Service shape', async () => {
    const response = await ask(identity, `api-version=${APP_SERVICE_MSI_API_VERSION}&resource=https://vault.azure.net`);
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body).toEqual({
      access_token: expect.any(String) as unknown,
      expires_on: expect.stringMatching(/^\d+$/) as unknown,
      resource: 'https://vault.azure.net',
      token_type: 'Bearer',
      client_id: expect.any(String) as unknown,
    });
  });

  it('refuses a wrong header, another api-version or no resource', async () => {
    const good = `api-version=${APP_SERVICE_MSI_API_VERSION}&resource=https://vault.azure.net`;
    expect((await ask(identity, good, 'wrong')).status).toBe(400);
    expect((await ask(identity, 'api-version=2017-09-01&resource=https://vault.azure.net')).status).toBe(400);
    expect((await ask(identity, `api-version=${APP_SERVICE_MSI_API_VERSION}`)).status).toBe(400);
  });

  it("answers an injected fault with the endpoint's error body", async () => {
    identity.injectFault({ status: 503, retryAfterSeconds: 2, count: 1 });
    const response = await ask(identity, `api-version=${APP_SERVICE_MSI_API_VERSION}&resource=https://vault.azure.net`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    const body = (await response.json()) as { correlationId: string };
    expect(body).toEqual({ statusCode: 503, message: expect.stringContaining('503') as unknown, correlationId: response.headers.get('x-correlation-id') });
  });

  it('stops accepting a token once it expires', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const timed = await startIdentityEmulator({ tokenLifetimeSeconds: 600, now: () => now });
    try {
      const response = await ask(timed, `api-version=${APP_SERVICE_MSI_API_VERSION}&resource=https://vault.azure.net/`);
      const { access_token: token } = (await response.json()) as { access_token: string };
      expect(timed.isValid(token, 'https://vault.azure.net')).toBe(true);
      now += 600_000;
      expect(timed.isValid(token)).toBe(false);
      expect(identity.isValid(token)).toBe(false);
    } finally {
      await timed.close();
    }
  });
});
