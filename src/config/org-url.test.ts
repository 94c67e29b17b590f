import { describe, expect, it } from 'vitest';
import { normaliseOrgUrl, orgKeyOf } from './org-url';

describe('normaliseOrgUrl', () => {
  it.each([
    ['https://dev.azure.com/contoso', 'https://dev.azure.com/contoso'],
    ['https://dev.azure.com/contoso/', 'https://dev.azure.com/contoso'],
    ['  https://dev.azure.com/Contoso//  ', 'https://dev.azure.com/Contoso'],
    ['https://contoso.visualstudio.com', 'https://dev.azure.com/contoso'],
    ['https://contoso.visualstudio.com/', 'https://dev.azure.com/contoso'],
    ['https://contoso.visualstudio.com/DefaultCollection/', 'https://dev.azure.com/contoso'],
    ['http://127.0.0.1:8080/contoso/', 'http://127.0.0.1:8080/contoso'],
    ['https://ado.example.com/tfs/DefaultCollection/', 'https://ado.example.com/tfs/DefaultCollection'],
  ])('%s → %s', (raw, url) => {
    expect(normaliseOrgUrl(raw)).toEqual({ url, key: url.toLowerCase() });
  });

  it('gives both spellings of one organization the same key', () => {
    expect(orgKeyOf('https://CONTOSO.visualstudio.com/')).toBe(orgKeyOf('https://dev.azure.com/contoso'));
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['ftp://dev.azure.com/contoso', 'must start with https://'],
    ['https://dev.azure.com/', 'exactly one organization'],
    ['https://dev.azure.com/contoso/project', 'exactly one organization'],
    ['https://contoso.visualstudio.com/project', 'write https://dev.azure.com/contoso'],
    ['https://user:pw@dev.azure.com/contoso', 'must not carry credentials'],
  ])('rejects %s with advice', (raw, advice) => {
    const result = normaliseOrgUrl(raw);
    expect('error' in result && result.error).toContain(advice);
  });
});
