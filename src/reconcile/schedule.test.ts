import { describe, expect, it } from 'vitest';
import { reconcileSchedule } from './schedule';

describe('reconcileSchedule', () => {
  it.each([
    [10, '*/10 * * * * *'],
    [30, '*/30 * * * * *'],
    [60, '0 * * * * *'],
    [300, '0 */5 * * * *'],
    [3600, '0 */60 * * * *'],
  ])('%i s → %s', (s, cron) => {
    expect(reconcileSchedule(s)).toBe(cron);
  });
});
