import { describe, expect, it } from 'vitest';
import { clip, describeValue, echo } from './echo';

describe('echo', () => {
  it('keeps a value from a delivery on one line: line breaks, controls and bidi overrides escaped', () => {
    const forged = 'text/plain\r\nwebhook: accepted\u0085\u2028\u202e\u0000';
    expect(echo(forged)).toBe('"text/plain\\r\\nwebhook: accepted\\u0085\\u2028\\u202e\\u0000"');
  });

  it('cuts a long value and says how long it was', () => {
    expect(echo('a'.repeat(10_000), 5)).toBe('"aaaaa…" (10000 characters)');
    expect(echo('short', 5)).toBe('"short"');
  });

  it('says what a value that is not text is', () => {
    expect([undefined, null, '', 3, true, [], {}].map(describeValue)).toEqual([
      'nothing',
      'null',
      'an empty string',
      'a number',
      'a boolean',
      'an array',
      'an object',
    ]);
  });
});

describe('clip', () => {
  it('bounds a message of ours to one line', () => {
    expect(clip('first\nsecond\u2029third', 100)).toBe('first second\\u2029third');
    expect(clip('x'.repeat(300), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
