import type { Clock } from '../time/clock';

/**
 * A Retry-After header value in milliseconds: seconds or an HTTP date (RFC 9110 10.2.3), never
 * negative; undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now: Clock): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}
