/** "12:04:05": the time of day in UTC, to the second. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** "2026-12-02 12:04:05 UTC". */
export function instant(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 10)} ${clock(ms)} UTC`;
}

/** "0.4 s", "12 s", "3 min 5 s", "2 h 10 min": short and exact enough for waits and runs. */
export function duration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Before this, a time is .NET's default value (0001-01-01), not an event. */
const EARLIEST = Date.UTC(2000, 0, 1);

/** ADO's times (up to 7 fractional digits, "Z") as epoch ms; undefined when absent, unreadable or a default value. */
export function timeOf(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) || ms < EARLIEST ? undefined : ms;
}
