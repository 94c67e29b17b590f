import { describe, expect, it } from 'vitest';
import type { PoolAgent } from '../ado/pool-agents';
import { profileAgentName } from '../launchers/agent-name';
import type { LaunchedAgent } from '../launchers/launcher';
import { planProfile, staleRegistrations, type ProfilePlanInput } from './janitor-plan';
import type { Mark } from './upkeep-marks';

const ORG = 'https://dev.azure.com/contoso';
const T0 = Date.parse('2025-01-01T00:00:00Z');
const settings = { intervalSeconds: 60, keepFinished: 2, orphanGraceSeconds: 300 };

/** Agent n's name: in pool "linux", profile "p", with a suffix that says n. */
const nameOf = (n: number, pool = 'linux', orgUrl = ORG) => profileAgentName(orgUrl, pool, 'p', `a${String(n).padStart(5, '0')}`);

function container(n: number, phase: LaunchedAgent['phase'], createdSecondsAgo: number, now = T0): LaunchedAgent {
  return { name: nameOf(n), orgUrl: ORG, pool: 'linux', profile: 'p', createdAt: new Date(now - createdSecondsAgo * 1000), phase };
}
let nextId = 1;
function registration(a: LaunchedAgent, extra: Partial<PoolAgent> = {}): PoolAgent {
  return { id: nextId++, name: a.name, online: true, enabled: true, version: '4.255.0', systemCapabilities: {}, ...extra };
}
function mark(kind: Mark['kind'], a: LaunchedAgent, secondsAgo: number): Mark {
  return { kind, name: a.name, since: new Date(T0 - secondsAgo * 1000), containerCreatedAt: a.createdAt.toISOString() };
}
function plan(input: Partial<ProfilePlanInput> & Pick<ProfilePlanInput, 'containers'>) {
  return planProfile({ registrations: new Map(), marks: [], settings, now: T0, ...input });
}
const byName = (...rs: PoolAgent[]) => new Map(rs.map((r) => [r.name.toLowerCase(), r]));
const names = (as: readonly LaunchedAgent[]) => as.map((a) => a.name);

describe('planProfile', () => {
  it('deletes finished agents beyond the newest keepFinished', () => {
    const finished = [5, 1, 4, 2, 3].map((n) => container(n, 'finished', 100 - n));
    expect(names(plan({ containers: finished }).deleteFinished)).toEqual([3, 2, 1].map((n) => nameOf(n)));
  });

  it('leaves registered agents to the scheduler, busy or idle, and clears their old marks (idle marks of earlier versions too)', () => {
    const busy = container(1, 'running', 100_000);
    const idle = container(2, 'running', 100_000);
    const old = [mark('idle', busy, 10_000), mark('orphan', idle, 10_000)];
    const p = plan({ containers: [busy, idle], registrations: byName(registration(busy, { assignedRequestId: 1 }), registration(idle)), marks: old });
    expect(p).toMatchObject({ deleteFinished: [], markOrphan: [], deleteOrphan: [], clearMarks: old });
  });

  it('leaves an unregistered agent alone within the grace, marks it after, deletes it at the next run', () => {
    const young = container(1, 'starting', 299);
    const old = container(2, 'starting', 301);
    expect(plan({ containers: [young, old] })).toMatchObject({ markOrphan: [old], deleteOrphan: [] });
    expect(plan({ containers: [young, old], marks: [mark('orphan', old, 60)] })).toMatchObject({ markOrphan: [], deleteOrphan: [old], clearMarks: [] });
  });

  it('ignores a mark left for an earlier container of the same name, and clears it', () => {
    const again = container(1, 'starting', 400);
    const stale: Mark = { ...mark('orphan', again, 60), containerCreatedAt: '2020-01-01T00:00:00.000Z' };
    expect(plan({ containers: [again], marks: [stale] })).toMatchObject({ markOrphan: [again], deleteOrphan: [], clearMarks: [stale] });
  });

  it('clears an orphan mark once the agent has registered', () => {
    const late = container(1, 'running', 400);
    const orphan = mark('orphan', late, 60);
    const p = plan({ containers: [late], registrations: byName(registration(late)), marks: [orphan] });
    expect(p).toMatchObject({ markOrphan: [], deleteOrphan: [], clearMarks: [orphan] });
  });
});

describe('staleRegistrations', () => {
  const now = T0;
  const reg = (n: number, extra: Partial<PoolAgent> = {}): PoolAgent => ({
    id: n,
    name: nameOf(n),
    online: false,
    enabled: true,
    version: '4.255.0',
    systemCapabilities: {},
    createdOn: new Date(now - 3600_000),
    ...extra,
  });
  const input = (registrations: PoolAgent[], containers: LaunchedAgent[] | undefined) => ({
    orgUrl: ORG,
    pool: 'linux',
    registrations,
    containers: containers && new Map(containers.map((c) => [c.name, c])),
    graceMs: 300_000,
    now,
  });

  it('removes offline registrations of our agents whose container finished or is gone', () => {
    const regs = [reg(1), reg(2), reg(3), reg(4, { online: true }), reg(5, { assignedRequestId: 5 }), reg(6, { createdOn: new Date(now - 1000) })];
    const containers = [container(1, 'finished', 60), container(2, 'running', 60)];
    expect(staleRegistrations(input(regs, containers)).map((r) => r.id)).toEqual([1, 3]);
  });

  it('removes nothing whose container may exist when a listing failed, but still those whose container finished', () => {
    expect(staleRegistrations(input([reg(3)], undefined))).toEqual([]);
  });

  it("never touches placeholders, other pools' agents or agents registered by anyone else", () => {
    const others = [
      reg(1, { name: 'placeholder-linux' }),
      reg(2, { name: nameOf(2, 'windows') }),
      reg(3, { name: 'build-vm-3' }),
      reg(4, { name: nameOf(4, 'linux', 'https://dev.azure.com/other') }),
    ];
    expect(staleRegistrations(input(others, []))).toEqual([]);
  });
});
