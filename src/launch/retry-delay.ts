/**
 * How long a demand waits before its next try, with jitter so demands delayed together do not
 * return together. Growing and capped, so throttling delays work but never drops it or
 * hot-loops; never shorter than what the service asked for (Retry-After).
 * - service trouble (429, quota, 5xx): doubling from 5 s, at most 5 minutes;
 * - a full profile: from 10 s, at most 1 minute, since a slot frees whenever an agent finishes.
 */
export function retryDelayMs(
  attempt: number,
  options: { retryAfterMs?: number; capacity?: boolean } = {},
  random: () => number = Math.random,
): number {
  const [first, factor, cap] = options.capacity ? [10_000, 1.5, 60_000] : [5_000, 2, 300_000];
  const backoff = Math.min(first * factor ** Math.max(0, attempt), cap);
  const base = Math.max(backoff, Math.min(options.retryAfterMs ?? 0, 300_000));
  return Math.round(base * (1 + 0.2 * random()));
}
