import { describe, expect, it } from 'vitest';
import { meanMs, sampleMs, seededRandom, type Latency } from './latency';

// Statistical properties of the draws (seeded, so every run sees the same numbers), not timing.

function draws(latency: Latency, seed: number, n = 5_000): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => sampleMs(latency, random)).sort((a, b) => a - b);
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

describe('sampleMs', () => {
  it('draws lognormal latencies with the median and p95 asked for', () => {
    const latency: Latency = { kind: 'lognormal', medianMs: 2_000, p95Ms: 7_000 };
    const sorted = draws(latency, 42);
    expect(Math.abs(quantile(sorted, 0.5) / 2_000 - 1)).toBeLessThan(0.04);
    expect(Math.abs(quantile(sorted, 0.95) / 7_000 - 1)).toBeLessThan(0.06);
    expect(sorted[0]).toBeGreaterThan(0);
    const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
    expect(Math.abs(mean / meanMs(latency) - 1)).toBeLessThan(0.05);
  });

  it('draws uniform latencies across the range, never outside it', () => {
    const sorted = draws({ kind: 'uniform', minMs: 1_000, maxMs: 3_500 }, 7);
    expect(sorted[0]).toBeGreaterThanOrEqual(1_000);
    expect(sorted.at(-1)).toBeLessThanOrEqual(3_500);
    expect(Math.abs(quantile(sorted, 0.5) / 2_250 - 1)).toBeLessThan(0.03);
    expect(Math.abs(quantile(sorted, 0.95) / (1_000 + 0.95 * 2_500) - 1)).toBeLessThan(0.03);
  });

  it('gives fixed latencies and bare numbers as they are, drawing nothing', () => {
    const random = () => {
      throw new Error('no draw expected');
    };
    expect(sampleMs(250, random)).toBe(250);
    expect(sampleMs({ kind: 'fixed', ms: 40 }, random)).toBe(40);
    expect(sampleMs(-5, random)).toBe(0);
  });

  it('repeats the same draws for the same seed', () => {
    const latency: Latency = { kind: 'lognormal', medianMs: 100, p95Ms: 300 };
    expect(draws(latency, 3, 20)).toEqual(draws(latency, 3, 20));
    expect(draws(latency, 3, 20)).not.toEqual(draws(latency, 4, 20));
  });
});
