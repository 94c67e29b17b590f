import { describe, expect, it } from 'vitest';
import { crashLoop, type FinishedAgent } from './crash-loop';

const T = Date.parse('2026-12-01T10:00:00Z');
const agent = (i: number, exitCode: number | undefined): FinishedAgent => ({
  name: `a${i}`,
  endedAt: T + i * 1_000,
  ...(exitCode !== undefined ? { exitCode } : {}),
});

describe('crashLoop', () => {
  it('leaves a healthy profile alone, and one with fewer failures in a row than the threshold', () => {
    expect(crashLoop([agent(1, 0), agent(2, 0)])).toBeUndefined();
    expect(crashLoop([agent(1, 1), agent(2, 1), agent(3, 0)])).toBeUndefined();
    expect(crashLoop([agent(1, 1), agent(2, 1)])).toBeUndefined();
  });

  it('backs off after three failures in a row, from the last one, and says why and until when', () => {
    const loop = crashLoop([agent(1, 0), agent(2, 1), agent(3, 1), agent(4, 1)]);
    expect(loop).toMatchObject({ failures: 3, backedOffUntil: T + 4_000 + 60_000 });
    expect(loop?.reason).toMatch(/^3 agents in a row exited \(code 1\) without taking a job, the last a4; no agent starts until 2026-12-01T10:01:04\.000Z/);
  });

  it('doubles the delay with each further failure, up to 30 minutes', () => {
    const failures = (n: number) => Array.from({ length: n }, (_, i) => agent(i, 1));
    expect(crashLoop(failures(4))?.backedOffUntil).toBe(T + 3_000 + 120_000);
    expect(crashLoop(failures(5))?.backedOffUntil).toBe(T + 4_000 + 240_000);
    expect(crashLoop(failures(20))?.backedOffUntil).toBe(T + 19_000 + 30 * 60_000);
  });

  it('does not count agents we stopped (143) or whose exit is unknown as failures', () => {
    expect(crashLoop([agent(1, 1), agent(2, 1), agent(3, 143)])).toBeUndefined();
    expect(crashLoop([agent(1, 1), agent(2, 1), agent(3, undefined)])).toBeUndefined();
  });

  it('counts agents the platform reports failed without an exit code (legacy virtual node)', () => {
    const failedNoCode = (i: number): FinishedAgent => ({ name: `a${i}`, endedAt: T + i * 1_000, failed: true });
    const loop = crashLoop([agent(1, 0), failedNoCode(2), agent(3, 1), failedNoCode(4)]);
    expect(loop).toMatchObject({ failures: 3 });
    expect(loop?.reason).toMatch(/^3 agents in a row exited \(code unknown, 1\) without taking a job/);
  });
});
