import { describe, expect, it } from 'vitest';
import { isAuthorized } from './basic-auth';

const expected = { username: 'hook', password: 'p@ss:word with colon' };
const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('isAuthorized', () => {
  it('accepts exactly the configured pair', () => {
    expect(isAuthorized(basic('hook:p@ss:word with colon'), expected)).toBe(true);
    expect(isAuthorized(basic('hook:p@ss:word with colon').replace('Basic', 'basic'), expected)).toBe(true);
  });

  it.each([
    ['no header', null],
    ['empty', ''],
    ['wrong password', basic('hook:nope')],
    ['wrong user', basic('Hook:p@ss:word with colon')],
    ['password prefix', basic('hook:p@ss')],
    ['bearer scheme', 'Bearer abc'],
    ['garbage', 'Basic !!!'],
  ])('rejects %s', (_, header) => {
    expect(isAuthorized(header, expected)).toBe(false);
  });
});
