import type * as CronParser from 'cron-parser';

/**
 * cron-parser (and the date library under it) loads on the first standby window, not with the
 * config: every function parses the config at cold start, and most configs have no window.
 */
let loaded: typeof CronParser.CronExpressionParser | undefined;
function cronParser(): typeof CronParser.CronExpressionParser {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  loaded ??= (require('cron-parser') as typeof CronParser).CronExpressionParser;
  return loaded;
}

/** "Keep `agents` idle agents ready on these days from `from` to `to`, local time in `timeZone`." */
export interface StandbyWindow {
  /** Days of the week as cron writes them: "MON-FRI", "SAT,SUN", "*". */
  readonly days: string;
  /** "HH:MM", 24-hour, before `to`; `to` may be "24:00", the day's end (a window that crosses midnight is two windows). */
  readonly from: string;
  readonly to: string;
  /** An IANA time zone, e.g. "Europe/Berlin"; daylight saving time is the library's business. */
  readonly timeZone: string;
  readonly agents: number;
}

export interface StandbyTarget {
  /** Idle agents wanted now: the largest of the windows open at this instant, 0 outside them all. */
  readonly agents: number;
  /** When some window next opens or closes: the pool needs a pass then, event or not. */
  readonly nextChange?: Date;
}

/**
 * The standby target of a profile at `now`. Each window becomes two cron expressions (opening
 * and closing) evaluated in its time zone by cron-parser, so days, time zones and DST switches
 * follow the library rather than hand-written date math: a window is open when its last
 * opening is later than its last closing.
 */
export function standbyAt(windows: readonly StandbyWindow[], now: Date): StandbyTarget {
  let agents = 0;
  let nextChange: Date | undefined;
  for (const w of windows) {
    // A window to the day's end closes at every midnight: a day's window ends where the next one's begins.
    const [open, close] = [cron(w.from, w), w.to === END_OF_DAY ? '0 0 0 * * *' : cron(w.to, w)];
    const lastOpen = cronParser().parse(open, { currentDate: now, tz: w.timeZone }).prev().toDate();
    const lastClose = cronParser().parse(close, { currentDate: now, tz: w.timeZone }).prev().toDate();
    // Equal only for a window from 00:00 to 24:00 at midnight: the new day's window is open.
    if (lastOpen >= lastClose) agents = Math.max(agents, w.agents);
    for (const expression of [open, close]) {
      const next = cronParser().parse(expression, { currentDate: now, tz: w.timeZone }).next().toDate();
      if (!nextChange || next < nextChange) nextChange = next;
    }
  }
  return { agents, ...(nextChange ? { nextChange } : {}) };
}

/** What is wrong with a window, for the configuration's error list; undefined when it is usable. */
export function standbyWindowProblem(w: StandbyWindow): string | undefined {
  const minutes = (t: string) => {
    const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
  };
  const [from, to] = [minutes(w.from), w.to === END_OF_DAY ? 24 * 60 : minutes(w.to)];
  if (from === undefined || to === undefined)
    return 'from and to must be times of day as "HH:MM", e.g. "08:00" and "18:00" (to may be "24:00", the end of the day)';
  if (from >= to) return `from (${w.from}) must be before to (${w.to}); split a window across midnight into two`;
  try {
    new Intl.DateTimeFormat('en', { timeZone: w.timeZone });
  } catch {
    return `timeZone "${w.timeZone}" is not an IANA time zone, e.g. "Europe/Berlin" or "UTC"`;
  }
  try {
    cronParser().parse(cron(w.from, w), { tz: w.timeZone });
  } catch {
    return `days "${w.days}" must be days of the week as in cron, e.g. "MON-FRI", "SAT,SUN" or "*"`;
  }
  return undefined;
}

const END_OF_DAY = '24:00';

function cron(time: string, w: StandbyWindow): string {
  const [hours, minutes] = time.split(':').map(Number);
  return `0 ${minutes} ${hours} * * ${w.days}`;
}
