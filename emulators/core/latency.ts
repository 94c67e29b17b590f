/**
 * How long an emulated step takes (a container's start, an agent's registration, a job):
 * a fixed time, or drawn from a distribution so that a scenario can model ACI's 10-35 s starts.
 * A bare number is milliseconds.
 */
export type Latency =
  | number
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** Right-skewed, as real start times are: half are below the median, 5 % above p95. */
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly p95Ms: number };

/** The standard normal's 95th percentile: p95 = median * exp(Z95 * sigma). */
const Z95 = 1.6448536269514722;

/** One draw, in whole milliseconds, never negative. */
export function sampleMs(latency: Latency, random: () => number = Math.random): number {
  if (typeof latency === 'number') return Math.max(0, Math.round(latency));
  switch (latency.kind) {
    case 'fixed':
      return Math.max(0, Math.round(latency.ms));
    case 'uniform':
      return Math.max(0, Math.round(latency.minMs + (latency.maxMs - latency.minMs) * random()));
    case 'lognormal': {
      const sigma = Math.log(Math.max(latency.p95Ms, latency.medianMs) / latency.medianMs) / Z95;
      return Math.max(0, Math.round(latency.medianMs * Math.exp(sigma * standardNormal(random))));
    }
  }
}

/** The mean of the distribution, for estimates that need no draw. */
export function meanMs(latency: Latency): number {
  if (typeof latency === 'number') return latency;
  switch (latency.kind) {
    case 'fixed':
      return latency.ms;
    case 'uniform':
      return (latency.minMs + latency.maxMs) / 2;
    case 'lognormal': {
      const sigma = Math.log(Math.max(latency.p95Ms, latency.medianMs) / latency.medianMs) / Z95;
      return latency.medianMs * Math.exp((sigma * sigma) / 2);
    }
  }
}

/** Box-Muller; `1 - random()` keeps the logarithm finite. */
function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A small seeded generator (mulberry32), so a scenario draws the same latencies in every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
