import { describe, expect, it } from 'vitest';
import { planPool, type ObservedAgent, type PlanInput } from './plan';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const GRACE = 30_000;

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    now: NOW,
    profiles: [{ name: 'small', maxAgents: 10, standby: 0 }],
    waiting: new Map(),
    agents: [],
    graceMs: GRACE,
    ...overrides,
  };
}

const agents = (state: ObservedAgent['state'], n: number, profile = 'small', idleSince?: number): ObservedAgent[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${profile}-${state}-${i}`, profile, state, ...(idleSince !== undefined ? { idleSince } : {}) }));

describe('planPool', () => {
  it('starts one agent per waiting job, less the agents already starting or idle', () => {
    const plan = planPool(
      input({ waiting: new Map([['small', 5]]), agents: [...agents('starting', 2), ...agents('idle', 1, 'small', NOW), ...agents('busy', 3)] }),
    );
    expect(plan.profiles[0]).toMatchObject({ waiting: 5, starting: 2, idle: 1, busy: 3, start: 2, stop: [] });
  });

  it('never counts past maxAgents, busy agents included, and says so', () => {
    const plan = planPool(input({ profiles: [{ name: 'small', maxAgents: 4, standby: 0 }], waiting: new Map([['small', 10]]), agents: agents('busy', 3) }));
    expect(plan.profiles[0]).toMatchObject({ start: 1, heldBack: 'maxAgents' });
  });

  it('starts nothing for a job that already runs: duplicate events change no count', () => {
    const plan = planPool(input({ waiting: new Map(), agents: agents('busy', 2) }));
    expect(plan.profiles[0]).toMatchObject({ start: 0, stop: [] });
  });

  it('keeps the standby target ready and replaces a standby agent that took a job', () => {
    const profiles = [{ name: 'small', maxAgents: 10, standby: 3 }];
    expect(planPool(input({ profiles })).profiles[0]?.start).toBe(3);
    // One of three took a job: two idle, one busy -> one more.
    expect(planPool(input({ profiles, agents: [...agents('idle', 2, 'small', NOW), ...agents('busy', 1)] })).profiles[0]?.start).toBe(1);
  });

  it('stops idle agents beyond demand once idle for the grace, longest idle first, and never a busy one', () => {
    const plan = planPool(
      input({
        waiting: new Map([['small', 1]]),
        agents: [
          { name: 'old', profile: 'small', state: 'idle', idleSince: NOW - 120_000 },
          { name: 'older', profile: 'small', state: 'idle', idleSince: NOW - 300_000 },
          { name: 'fresh', profile: 'small', state: 'idle', idleSince: NOW - 1_000 },
          ...agents('busy', 4),
        ],
      }),
    );
    // Three idle for one waiting job: two surplus, the two idle longest, both past the grace.
    expect(plan.profiles[0]).toMatchObject({ start: 0, stop: ['older', 'old'] });
    expect(plan.nextPassAt).toBeUndefined();
  });

  it('keeps a surplus agent inside its grace and asks for a pass when the grace runs out', () => {
    const plan = planPool(input({ agents: [{ name: 'cancelled-job', profile: 'small', state: 'idle', idleSince: NOW - 10_000 }] }));
    expect(plan.profiles[0]?.stop).toEqual([]);
    expect(plan.nextPassAt).toBe(NOW - 10_000 + GRACE);
  });

  it('never stops a starting agent: it is counted as supply and stopped once idle past the grace', () => {
    const plan = planPool(input({ agents: agents('starting', 2) }));
    expect(plan.profiles[0]).toMatchObject({ start: 0, stop: [] });
  });

  it('starts nothing for a profile in back-off, and asks for a pass when it ends', () => {
    const until = NOW + 60_000;
    const plan = planPool(input({ profiles: [{ name: 'small', maxAgents: 10, standby: 0, backedOffUntil: until }], waiting: new Map([['small', 3]]) }));
    expect(plan.profiles[0]).toMatchObject({ start: 0, heldBack: 'backoff' });
    expect(plan.nextPassAt).toBe(until);
    const after = planPool(
      input({ now: until, profiles: [{ name: 'small', maxAgents: 10, standby: 0, backedOffUntil: until }], waiting: new Map([['small', 3]]) }),
    );
    expect(after.profiles[0]?.start).toBe(3);
  });

  it("shares the organization's room among profiles in config order", () => {
    const plan = planPool(
      input({
        profiles: [
          { name: 'small', maxAgents: 10, standby: 0 },
          { name: 'big', maxAgents: 10, standby: 0 },
        ],
        waiting: new Map([
          ['small', 3],
          ['big', 3],
        ]),
        organizationRoom: 4,
      }),
    );
    expect(plan.profiles.map((p) => [p.profile, p.start, p.heldBack])).toEqual([
      ['small', 3, undefined],
      ['big', 1, 'organization'],
    ]);
  });

  it('holds supply equal to demand whatever mix it starts from (invariants 1 and 4)', () => {
    for (let seed = 0; seed < 500; seed++) {
      const r = (n: number) => (seed * 7919 + n * 104729) % 13;
      const maxAgents = 1 + (r(1) % 8);
      const observed = [...agents('starting', r(2) % 4), ...agents('idle', r(3) % 4, 'small', NOW - r(4) * 10_000), ...agents('busy', r(5) % 5)];
      const waiting = r(6) % 9;
      const standby = r(7) % 3;
      const d = planPool(input({ profiles: [{ name: 'small', maxAgents, standby }], waiting: new Map([['small', waiting]]), agents: observed })).profiles[0]!;
      const supplyAfter = d.starting + d.idle + d.start - d.stop.length;
      // Never more than asked for beyond what already existed, never past maxAgents by starting.
      expect(d.start === 0 || supplyAfter <= waiting + standby).toBe(true);
      expect(d.start === 0 || d.busy + d.starting + d.idle + d.start <= maxAgents).toBe(true);
      // Short of demand only when capacity is used up.
      if (supplyAfter < waiting + standby) expect(d.busy + d.starting + d.idle + d.start).toBeGreaterThanOrEqual(maxAgents);
      expect(d.stop.length).toBeLessThanOrEqual(Math.max(0, d.idle - waiting - standby));
    }
  });
});
