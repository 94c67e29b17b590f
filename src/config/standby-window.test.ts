import { describe, expect, it } from 'vitest';
import { standbyAt, standbyWindowProblem, type StandbyWindow } from './standby-window';

const weekdays: StandbyWindow = { days: 'MON-FRI', from: '08:00', to: '18:00', timeZone: 'Europe/Berlin', agents: 2 };

describe('standbyAt', () => {
  it("keeps the target inside the window, in the window's time zone, and says when it closes", () => {
    // Tuesday 2026-12-01 09:30 in Berlin is 08:30 UTC (CET, UTC+1).
    const inside = standbyAt([weekdays], new Date('2026-12-01T08:30:00Z'));
    expect(inside).toEqual({ agents: 2, nextChange: new Date('2026-12-01T17:00:00Z') });
  });

  it('wants nothing outside the window and names the next opening, across the weekend', () => {
    const saturday = standbyAt([weekdays], new Date('2026-12-05T12:00:00Z'));
    expect(saturday).toEqual({ agents: 0, nextChange: new Date('2026-12-07T07:00:00Z') });
    const early = standbyAt([weekdays], new Date('2026-12-01T06:59:00Z'));
    expect(early).toEqual({ agents: 0, nextChange: new Date('2026-12-01T07:00:00Z') });
  });

  it('follows daylight saving time: 08:00 in Berlin is 06:00 UTC in summer', () => {
    expect(standbyAt([weekdays], new Date('2026-07-01T06:30:00Z')).agents).toBe(2);
    expect(standbyAt([weekdays], new Date('2026-12-01T06:30:00Z')).agents).toBe(0);
  });

  it('takes the largest target of the windows open at once, and the soonest change', () => {
    const lunch: StandbyWindow = { days: '*', from: '12:00', to: '13:00', timeZone: 'UTC', agents: 5 };
    expect(standbyAt([weekdays, lunch], new Date('2026-12-01T12:15:00Z'))).toEqual({ agents: 5, nextChange: new Date('2026-12-01T13:00:00Z') });
  });

  it('keeps a whole-day window ("24:00") open through midnight, and a weekday one until Friday\'s end', () => {
    const allDay: StandbyWindow = { days: '*', from: '00:00', to: '24:00', timeZone: 'UTC', agents: 3 };
    for (const at of ['2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.500Z', '2026-12-01T23:59:59.999Z', '2026-12-02T12:00:00Z']) {
      expect(standbyAt([allDay], new Date(at)).agents).toBe(3);
    }
    const weekdayEvenings: StandbyWindow = { days: 'MON-FRI', from: '18:00', to: '24:00', timeZone: 'UTC', agents: 1 };
    expect(standbyAt([weekdayEvenings], new Date('2026-12-04T23:30:00Z'))).toEqual({ agents: 1, nextChange: new Date('2026-12-05T00:00:00Z') });
    expect(standbyAt([weekdayEvenings], new Date('2026-12-05T00:30:00Z')).agents).toBe(0);
  });

  it('wants nothing without windows', () => {
    expect(standbyAt([], new Date())).toEqual({ agents: 0 });
  });
});

describe('standbyWindowProblem', () => {
  it('accepts a usable window and names what is wrong with others', () => {
    expect(standbyWindowProblem(weekdays)).toBeUndefined();
    expect(standbyWindowProblem({ ...weekdays, to: '24:00' })).toBeUndefined();
    expect(standbyWindowProblem({ ...weekdays, from: '24:00' })).toMatch(/"HH:MM"/);
    expect(standbyWindowProblem({ ...weekdays, from: '8am' })).toMatch(/"HH:MM"/);
    expect(standbyWindowProblem({ ...weekdays, from: '22:00', to: '06:00' })).toMatch(/split a window across midnight/);
    expect(standbyWindowProblem({ ...weekdays, timeZone: 'Mars/Olympus' })).toMatch(/IANA time zone/);
    expect(standbyWindowProblem({ ...weekdays, days: 'WEEKDAYS' })).toMatch(/days of the week as in cron/);
  });
});
