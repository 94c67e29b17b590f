import { describe, expect, it } from 'vitest';
import { adoHttpFailure } from './ado-http-error';

const NOW = Date.parse('2025-01-01T00:00:00Z');

/** As typed-rest-client rejects a call ADO answered outside 2xx. */
function adoError(statusCode: number, message: string, responseHeaders: Record<string, string | string[]> = {}, result?: object): Error {
  return Object.assign(new Error(message), { statusCode, responseHeaders, ...(result ? { result } : {}) });
}

describe('adoHttpFailure', () => {
  it('reads status, message, typeKey and activity id', () => {
    const failure = adoHttpFailure(
      adoError(
        404,
        'Agent pool 42 not found.',
        { 'x-vss-activityid': 'act-1' },
        { typeKey: 'TaskAgentPoolNotFoundException', message: 'Agent pool 42 not found.' },
      ),
    );
    expect(failure).toEqual({ status: 404, typeKey: 'TaskAgentPoolNotFoundException', message: 'Agent pool 42 not found.', activityId: 'act-1' });
  });

  it('reads Retry-After as seconds or as an HTTP date, a list taking its first value', () => {
    const now = () => NOW;
    expect(adoHttpFailure(adoError(429, 'throttled', { 'retry-after': '3' }), now).retryAfterMs).toBe(3_000);
    expect(adoHttpFailure(adoError(429, 'throttled', { 'retry-after': ['5', '9'] }), now).retryAfterMs).toBe(5_000);
    expect(adoHttpFailure(adoError(503, 'down', { 'retry-after': 'Wed, 01 Jan 2025 00:01:00 GMT' }), now).retryAfterMs).toBe(60_000);
    expect(adoHttpFailure(adoError(429, 'throttled', { 'retry-after': '-4' }), now).retryAfterMs).toBe(0);
    expect(adoHttpFailure(adoError(429, 'throttled'), now).retryAfterMs).toBeUndefined();
  });

  it("reads a network failure's code, with no status", () => {
    const failure = adoHttpFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(failure).toEqual({ code: 'ECONNRESET', message: 'read ECONNRESET' });
  });

  it('reads anything else as a message alone', () => {
    expect(adoHttpFailure('socket hang up')).toEqual({ message: 'socket hang up' });
    expect(adoHttpFailure({ statusCode: '401' })).toEqual({ message: '[object Object]' });
  });
});
