import { describe, expect, it } from 'vitest';
import { demandMessageId, parseDemandMessage } from './demand-message';

const demand = { version: 1, orgUrl: 'https://dev.azure.com/contoso', jobId: 'j-1', source: 'webhook', observedAt: '2026-11-23T00:00:00Z' };

describe('demand messages', () => {
  it('derive one messageId per (organization, job, reconcile period), whichever path saw the job', () => {
    const org = 'https://dev.azure.com/contoso';
    const id = demandMessageId(org, 'ABC', '2026-11-23T10:00:01Z', 60);
    expect(id).toBe(demandMessageId(org, 'abc', '2026-11-23T10:00:59Z', 60));
    expect(id).not.toBe(demandMessageId('https://dev.azure.com/fabrikam', 'abc', '2026-11-23T10:00:01Z', 60));
    expect(id).not.toBe(demandMessageId(org, 'abc', '2026-11-23T10:01:00Z', 60));
    expect(demandMessageId(org, 'abc', '2026-11-23T10:00:01Z', 300)).toBe(demandMessageId(org, 'abc', '2026-11-23T10:04:59Z', 300));
    expect(id.length).toBeLessThanOrEqual(128);
  });

  it('parse from JSON objects and strings', () => {
    expect(parseDemandMessage(demand)).toEqual({ ok: true, demand });
    expect(parseDemandMessage(JSON.stringify({ ...demand, source: 'sweep', poolName: 'linux', requestId: 4 }))).toMatchObject({ ok: true });
  });

  it('reject unknown versions and garbage with a reason', () => {
    expect(parseDemandMessage({ ...demand, version: 2 })).toMatchObject({ ok: false, reason: expect.stringMatching(/version/) as unknown });
    expect(parseDemandMessage('{nope')).toEqual({ ok: false, reason: 'demand message body is not JSON' });
    expect(parseDemandMessage({ ...demand, jobId: undefined })).toMatchObject({ ok: false, reason: expect.stringMatching(/jobId/) as unknown });
  });
});
