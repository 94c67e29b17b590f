import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retry-delay';

const noJitter = () => 0;

describe('retryDelayMs', () => {
  it('doubles from 5 s up to 5 minutes for service trouble', () => {
    expect([0, 1, 2, 3, 10].map((a) => retryDelayMs(a, {}, noJitter))).toEqual([5_000, 10_000, 20_000, 40_000, 300_000]);
  });

  it('never waits less than Retry-After, and never more than 5 minutes for it', () => {
    expect(retryDelayMs(0, { retryAfterMs: 30_000 }, noJitter)).toBe(30_000);
    expect(retryDelayMs(0, { retryAfterMs: 3_600_000 }, noJitter)).toBe(300_000);
  });

  it('waits at most a minute for a full profile', () => {
    expect([0, 1, 5, 20].map((a) => retryDelayMs(a, { capacity: true }, noJitter))).toEqual([10_000, 15_000, 60_000, 60_000]);
  });

  it('adds up to 20 % jitter', () => {
    expect(retryDelayMs(0, {}, () => 1)).toBe(6_000);
  });
});
