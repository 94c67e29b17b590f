import { describe, expect, it } from 'vitest';
import { parsePoolSignal, signalDelivery } from './pool-signal';

const ORG = 'https://dev.azure.com/contoso';

describe('signalDelivery', () => {
  it("gives every signal of a pool in one window the same id and the window's end as delivery time", () => {
    const a = signalDelivery(ORG, 'linux', 10_000, 1_000);
    expect(signalDelivery(ORG, 'Linux', 10_999, 1_000)).toEqual(a);
    expect(a.deliverAt.getTime()).toBe(11_000);
    expect(signalDelivery(ORG, 'linux', 11_000, 1_000).messageId).not.toBe(a.messageId);
    expect(signalDelivery(ORG, 'windows', 10_000, 1_000).messageId).not.toBe(a.messageId);
    expect(signalDelivery('https://dev.azure.com/fabrikam', 'linux', 10_000, 1_000).messageId).not.toBe(a.messageId);
  });

  it("keeps ids within Service Bus's 128 characters whatever the names", () => {
    expect(signalDelivery(`https://dev.azure.com/${'o'.repeat(300)}`, 'p'.repeat(500), Date.now()).messageId.length).toBeLessThanOrEqual(128);
  });
});

describe('parsePoolSignal', () => {
  const valid = { version: 2, orgUrl: ORG, pool: 'linux', reason: 'event', observedAt: '2026-12-01T10:00:00Z' };

  it('takes a signal as JSON text or parsed', () => {
    expect(parsePoolSignal(valid)).toEqual({ ok: true, signal: valid });
    expect(parsePoolSignal(JSON.stringify(valid))).toEqual({ ok: true, signal: valid });
  });

  it('names what is wrong with anything else', () => {
    expect(parsePoolSignal('{')).toEqual({ ok: false, reason: 'pool signal body is not JSON' });
    const reason = (body: unknown) => {
      const parsed = parsePoolSignal(body);
      return parsed.ok ? '' : parsed.reason;
    };
    expect(reason({ ...valid, version: 1 })).toMatch(/^invalid pool signal: version/);
    expect(reason({ ...valid, pool: '' })).toMatch(/^invalid pool signal: pool/);
  });
});
