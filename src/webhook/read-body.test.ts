import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBodyLimited } from './read-body';

const stream = (...chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c)));

describe('readBodyLimited', () => {
  it('returns the whole body under the limit', async () => {
    expect((await readBodyLimited(stream('ab', 'cd'), 4)) as Buffer).toEqual(Buffer.from('abcd'));
  });

  it('stops as soon as the limit is passed, without reading the rest', async () => {
    let pulled = 0;
    async function* chunks() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield await Promise.resolve(Buffer.alloc(10));
      }
    }
    expect(await readBodyLimited(chunks(), 25)).toBe('tooLarge');
    expect(pulled).toBe(3);
  });

  it('trusts a declared Content-Length over the limit without reading', async () => {
    expect(await readBodyLimited(stream('x'), 10, '11')).toBe('tooLarge');
  });

  it('treats a missing body as empty', async () => {
    expect(await readBodyLimited(null, 10)).toEqual(Buffer.alloc(0));
  });
});
