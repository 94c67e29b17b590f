import { describe, expect, it } from 'vitest';
import { demandMessageId, parseDemandMessage } from './demand-message';

const demand = { version: 1, orgUrl: 'https://dev.azure.com/contoso', jobId: 'j-1', source: 'webhook', observedAt: '2026-11-23T00:00:00Z' };

describe('demand messages', () => {
  it('derive one messageId per (organization, job), whichever path saw the job', () => {
    const id = demandMessageId('https://dev.azure.com/contoso', 'ABC');
    expect(id).toBe(demandMessageId('https://dev.azure.com/contoso', 'abc'));
    expect(id).not.toBe(demandMessageId('https://dev.azure.com/fabrikam', 'abc'));
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
