import { describe, expect, it } from 'vitest';
import { idealSchedule } from './ideal';

const fixed = (ms: number) => () => ms;

describe('idealSchedule', () => {
  it('starts an agent per job at once when capacity allows: every job waits exactly the start time', () => {
    const jobs = [0, 0, 5_000].map((arrivalMs) => ({ arrivalMs, profile: 'p', durationMs: 10_000 }));
    const result = idealSchedule(jobs, [{ name: 'p', maxAgents: 10, startMs: fixed(3_000) }]);
    expect(result.waitsMs).toEqual([3_000, 3_000, 3_000]);
    expect(result.makespanMs).toBe(18_000);
  });

  it('runs jobs in waves when capacity is short, starting the next agent when a slot frees', () => {
    const jobs = Array.from({ length: 4 }, () => ({ arrivalMs: 0, profile: 'p', durationMs: 10_000 }));
    const result = idealSchedule(jobs, [{ name: 'p', maxAgents: 2, startMs: fixed(1_000) }]);
    // Wave 1: ready at 1 s, done at 11 s; wave 2: started at 11 s, ready at 12 s, done at 22 s.
    expect(result.waitsMs).toEqual([1_000, 1_000, 12_000, 12_000]);
    expect(result.makespanMs).toBe(22_000);
  });

  it('gives the oldest waiting job to the first agent ready, whichever job it was started for', () => {
    const starts = [5_000, 1_000];
    const jobs = [
      { arrivalMs: 0, profile: 'p', durationMs: 1_000 },
      { arrivalMs: 100, profile: 'p', durationMs: 1_000 },
    ];
    const result = idealSchedule(jobs, [{ name: 'p', maxAgents: 2, startMs: () => starts.shift()! }]);
    // The second agent is ready at 1.1 s and takes the older job; the first, ready at 5 s, takes the other.
    expect(result.waitsMs).toEqual([1_100, 4_900]);
  });

  it('keeps profiles apart: one profile at capacity does not delay another', () => {
    const jobs = [
      { arrivalMs: 0, profile: 'a', durationMs: 60_000 },
      { arrivalMs: 0, profile: 'a', durationMs: 60_000 },
      { arrivalMs: 0, profile: 'b', durationMs: 1_000 },
    ];
    const result = idealSchedule(jobs, [
      { name: 'a', maxAgents: 1, startMs: fixed(1_000) },
      { name: 'b', maxAgents: 1, startMs: fixed(1_000) },
    ]);
    expect(result.waitsMs).toEqual([1_000, 62_000, 1_000]);
    expect(result.makespanMs).toBe(122_000);
  });
});

describe('idealSchedule under a create limit', () => {
  it('starts no more agents per window than the limit allows, across the limited profiles', () => {
    const jobs = Array.from({ length: 4 }, (_, i) => ({ arrivalMs: 0, profile: i < 2 ? 'a' : 'b', durationMs: 1_000 }));
    const result = idealSchedule(
      jobs,
      [
        { name: 'a', maxAgents: 10, startMs: fixed(1_000), createLimited: true },
        { name: 'b', maxAgents: 10, startMs: fixed(1_000), createLimited: true },
      ],
      { count: 3, windowMs: 60_000 },
    );
    // Three creates at 0; the fourth once the first leaves the window, at 60 s.
    expect(result.waitsMs).toEqual([1_000, 1_000, 1_000, 61_000]);
    expect(result.makespanMs).toBe(62_000);
  });
});
