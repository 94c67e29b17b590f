import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock';

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // The bench replaces the global Date after modules have loaded (scripts/bench/time-warp.ts).
  it('reads the global Date at each call, so a clock installed later is followed', () => {
    vi.useFakeTimers({ now: Date.parse('2031-02-03T04:05:06.000Z') });
    expect(systemClock()).toBe(Date.parse('2031-02-03T04:05:06.000Z'));
    vi.advanceTimersByTime(1_500);
    expect(systemClock()).toBe(Date.parse('2031-02-03T04:05:07.500Z'));
  });
});
