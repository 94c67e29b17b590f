import type { PassResult } from './pool-pass';

/**
 * One log line per pass that saw work or did something: per profile what it counted and
 * decided, and why it started fewer than demand asked for. Quiet passes log nothing.
 */
export function describePass(pool: string, reason: string, result: PassResult): string | undefined {
  const busyProfiles = result.plan.profiles.filter((d) => d.waiting + d.starting + d.idle + d.busy + d.start + d.stop.length > 0);
  if (busyProfiles.length === 0 && result.unmatched.length === 0) return undefined;
  const profiles = busyProfiles.map(
    (d) =>
      `${d.profile}: waiting ${d.waiting}, standby ${d.standby}, starting ${d.starting}, idle ${d.idle}, busy ${d.busy} → start ${d.start}, stop ${d.stop.length}` +
      (d.heldBack ? ` (held back by ${d.heldBack})` : ''),
  );
  const unmatched =
    result.unmatched.length > 0
      ? [
          `${result.unmatched.length} waiting job(s) no profile serves (demands ${[...new Set(result.unmatched.map((r) => r.rawDemands.join(', ')))].map((d) => `[${d}]`).join(' ')})`,
        ]
      : [];
  const next = result.nextPassAt !== undefined ? `; next pass ${new Date(result.nextPassAt).toISOString()}` : '';
  return `scheduler: pool "${pool}" (${reason}): ${[...profiles, ...unmatched].join('; ')}${next}`;
}
