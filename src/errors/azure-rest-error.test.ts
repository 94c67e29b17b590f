import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { azureRestFailure } from './azure-rest-error';

const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token';
const NOW = Date.parse('2025-01-01T00:00:00Z');

/** A RestError as the Azure SDKs throw it: the request carries the bearer token. */
function restError(status: number | undefined, code: string, message: string, headers: Record<string, string> = {}, details?: unknown): RestError {
  const request = createPipelineRequest({
    url: 'https://contoso-kv.vault.azure.net/secrets/ado-pat?api-version=7.5',
    headers: createHttpHeaders({ authorization: `Bearer ${TOKEN}` }),
    requestId: 'client-request-1',
  });
  const response = status === undefined ? undefined : { request, status, headers: createHttpHeaders(headers) };
  const error = new RestError(message, { code, ...(status === undefined ? {} : { statusCode: status }), request, ...(response ? { response } : {}) });
  if (details !== undefined) error.details = details;
  return error;
}

describe('azureRestFailure', () => {
  it('reads status, code, message and request id of a RestError', () => {
    const failure = azureRestFailure(restError(403, 'AuthorizationFailed', 'The client does not have authorization', { 'x-ms-request-id': 'req-9' }));
    expect(failure).toEqual({
      name: 'RestError',
      status: 403,
      code: 'AuthorizationFailed',
      message: 'The client does not have authorization',
      requestId: 'req-9',
    });
  });

  it("falls back to the client's request id when the service sent none", () => {
    expect(azureRestFailure(restError(500, 'InternalError', 'oops')).requestId).toBe('client-request-1');
  });

  it('reads Retry-After as seconds or as an HTTP date, never negative', () => {
    const now = () => NOW;
    expect(azureRestFailure(restError(429, 'TooManyRequests', 'slow down', { 'retry-after': '17' }), now).retryAfterMs).toBe(17_000);
    expect(azureRestFailure(restError(429, 'TooManyRequests', 'slow down', { 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now).retryAfterMs).toBe(30_000);
    expect(azureRestFailure(restError(429, 'TooManyRequests', 'slow down', { 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }), now).retryAfterMs).toBe(0);
    expect(azureRestFailure(restError(429, 'TooManyRequests', 'slow down', { 'retry-after': 'soon' }), now).retryAfterMs).toBeUndefined();
    expect(azureRestFailure(restError(429, 'TooManyRequests', 'slow down'), now).retryAfterMs).toBeUndefined();
  });

  it("reads the service's inner error code", () => {
    const failure = azureRestFailure(restError(403, 'Forbidden', 'disabled', {}, { error: { code: 'Forbidden', innerError: { code: 'SecretDisabled' } } }));
    expect(failure.innerCode).toBe('SecretDisabled');
  });

  it('has no status when no answer came', () => {
    const failure = azureRestFailure(restError(undefined, 'REQUEST_SEND_ERROR', 'getaddrinfo ENOTFOUND contoso-kv.vault.azure.net'));
    expect(failure.status).toBeUndefined();
    expect(failure.code).toBe('REQUEST_SEND_ERROR');
  });

  it('never carries the request or its Authorization header', () => {
    const failure = azureRestFailure(restError(401, 'Unauthorized', 'token rejected', { 'retry-after': '1' }));
    expect(JSON.stringify(failure)).not.toContain(TOKEN);
    expect(Object.values(failure).every((v) => typeof v === 'string' || typeof v === 'number')).toBe(true);
  });

  it("reads other SDK errors (identity's, test doubles) by the same fields", () => {
    const identity = Object.assign(new Error('ManagedIdentityCredential: no token'), { name: 'AuthenticationError', statusCode: 400 });
    expect(azureRestFailure(identity)).toEqual({ name: 'AuthenticationError', status: 400, message: 'ManagedIdentityCredential: no token' });
    const headers = { get: (name: string) => (name === 'retry-after' ? '7' : undefined) };
    expect(azureRestFailure(Object.assign(new Error('slow'), { statusCode: 429, code: 'Throttled', response: { headers } })).retryAfterMs).toBe(7_000);
  });

  it('reads anything else as a message alone', () => {
    expect(azureRestFailure('socket hang up')).toEqual({ message: 'socket hang up' });
    expect(azureRestFailure(new TypeError('fetch failed'))).toEqual({ name: 'TypeError', message: 'fetch failed' });
    expect(azureRestFailure({ statusCode: '404', code: 7 })).toEqual({ message: '[object Object]' });
  });
});
