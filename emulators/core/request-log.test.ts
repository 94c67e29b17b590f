import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { RequestLog, redactHeaders } from './request-log';

// A request and a response as far as the log reads them: no socket needed.
function call(method: string, url: string, headers: Record<string, string | string[]> = {}) {
  const req = { method, url, headers } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { statusCode: 200 }) as unknown as ServerResponse;
  const answer = (status: number) => {
    res.statusCode = status;
    res.emit('finish');
  };
  return { req, res, url: new URL(url, 'http://emulator.invalid'), answer };
}

describe('RequestLog', () => {
  it('logs a call once answered, with the status, the time then, the body and extra fields', () => {
    let now = Date.parse('2026-01-05T09:00:00.000Z');
    const log = new RequestLog<{ org?: string; unbounded?: boolean }>({ now: () => now });
    const c = call('get', '/fabrikam/_apis/pools?poolName=linux&top=2', { 'user-agent': 'test' });
    const note = log.track(c.req, c.res, c.url, '', { org: 'fabrikam' });
    expect(log.all()).toEqual([]);
    note({ unbounded: true, injected: true });
    now += 1_500;
    c.answer(429);
    expect(log.all()).toEqual([
      {
        method: 'GET',
        path: '/fabrikam/_apis/pools',
        query: { poolName: 'linux', top: '2' },
        status: 429,
        time: '2026-01-05T09:00:01.500Z',
        body: '',
        headers: { 'user-agent': 'test' },
        org: 'fabrikam',
        unbounded: true,
        injected: true,
      },
    ]);
  });

  it('filters by path case-insensitively and clears', () => {
    const log = new RequestLog({ now: Date.now });
    for (const path of ['/a/JobRequests', '/a/agents']) {
      const c = call('GET', path);
      log.track(c.req, c.res, c.url, '', {});
      c.answer(200);
    }
    expect(log.all('jobrequests').map((e) => e.path)).toEqual(['/a/JobRequests']);
    expect(log.all()).toHaveLength(2);
    log.clear();
    expect(log.all()).toEqual([]);
  });

  it('never keeps a credential: Authorization keeps its scheme only, named secret headers are replaced', () => {
    const log = new RequestLog({ now: Date.now, secretHeaders: ['X-IDENTITY-HEADER'] });
    const c = call('PUT', '/secrets/x', { authorization: 'Basic OnBhdC12YWx1ZQ==', 'x-identity-header': 'shared-secret', accept: 'application/json' });
    log.track(c.req, c.res, c.url, '{"value":"v"}', {});
    c.answer(200);
    expect(log.all()[0]?.headers).toEqual({ authorization: 'Basic <credentials>', 'x-identity-header': '<redacted>', accept: 'application/json' });
    expect(log.all()[0]?.body).toBe('{"value":"v"}');
  });
});

describe('redactHeaders', () => {
  it('names the kind of credential, never the value, and joins repeated headers', () => {
    expect(
      redactHeaders({
        authorization: 'Bearer eyJ0eXAi.abc.def',
        cookie: 'a=1',
        'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
      }),
    ).toEqual({ authorization: 'Bearer <token>', cookie: 'a=1', 'x-forwarded-for': '10.0.0.1, 10.0.0.2' });
    expect(redactHeaders({ authorization: 'basic dXNlcjpwYXQ=' }).authorization).toBe('basic <credentials>');
    expect(redactHeaders({ authorization: 'PoP token-value' }).authorization).toBe('PoP <redacted>');
    expect(redactHeaders({ authorization: 'just-a-pat' }).authorization).toBe('<redacted>');
  });
});
