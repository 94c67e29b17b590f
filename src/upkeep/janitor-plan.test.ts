import { describe, expect, it } from 'vitest';
import type { PoolAgent } from '../ado/pool-agents';
import { agentName } from '../launchers/agent-name';
import type { LaunchedAgent } from '../launchers/launcher';
import { planProfile, staleRegistrations, type ProfilePlanInput } from './janitor-plan';
import type { Mark } from './upkeep-marks';

const ORG = 'https://dev.azure.com/contoso';
const T0 = Date.parse('2025-01-01T00:00:00Z');
const settings = { intervalSeconds: 60, keepFinished: 2, idleTtlSeconds: 900, orphanGraceSeconds: 300 };

function container(requestId: number, phase: LaunchedAgent['phase'], createdSecondsAgo: number, now = T0): LaunchedAgent {
  return { name: agentName(ORG, 'linux', requestId), orgUrl: ORG, pool: 'linux', requestId, profile: 'p', createdAt: new Date(now - createdSecondsAgo * 1000), phase };
}
function registration(a: LaunchedAgent, extra: Partial<PoolAgent> = {}): PoolAgent {
  return { id: a.requestId ?? 0, name: a.name, online: true, enabled: true, version: '4.255.0', systemCapabilities: {}, ...extra };
}
function mark(kind: Mark['kind'], a: LaunchedAgent, secondsAgo: number): Mark {
  return { kind, name: a.name, since: new Date(T0 - secondsAgo * 1000), containerCreatedAt: a.createdAt.toISOString() };
}
function plan(input: Partial<ProfilePlanInput> & Pick<ProfilePlanInput, 'containers'>) {
  return planProfile({ registrations: new Map(), marks: [], waiting: 0, settings, now: T0, ...input });
}
const byName = (...rs: PoolAgent[]) => new Map(rs.map((r) => [r.name.toLowerCase(), r]));
const names = (as: readonly LaunchedAgent[]) => as.map((a) => a.requestId);

describe('planProfile', () => {
  it('deletes finished agents beyond the newest keepFinished', () => {
    const finished = [5, 1, 4, 2, 3].map((n) => container(n, 'finished', 100 - n));
    expect(names(plan({ containers: finished }).deleteFinished)).toEqual([3, 2, 1]);
  });

  it('never plans anything for a busy agent, and clears its old marks', () => {
    const busy = container(1, 'running', 100_000);
    const old = mark('idle', busy, 10_000);
    const p = plan({ containers: [busy], registrations: byName(registration(busy, { assignedRequestId: 1 })), marks: [old] });
    expect(p).toMatchObject({ deleteFinished: [], markIdle: [], stopIdle: [], markOrphan: [], deleteOrphan: [], clearMarks: [old] });
  });

  it('marks an idle agent first, and stops it once the mark is older than the TTL', () => {
    const idle = container(1, 'running', 2000);
    const registrations = byName(registration(idle));
    expect(names(plan({ containers: [idle], registrations }).markIdle)).toEqual([1]);
    expect(plan({ containers: [idle], registrations, marks: [mark('idle', idle, 899)] }).stopIdle).toEqual([]);
    expect(plan({ containers: [idle], registrations, marks: [mark('idle', idle, 900)] }).stopIdle.map((s) => s.agent.requestId)).toEqual([1]);
  });

  it('stops only idle agents beyond the jobs waiting for the profile, the longest idle first', () => {
    const agents = [1, 2, 3].map((n) => container(n, 'running', 2000));
    const registrations = byName(...agents.map((a) => registration(a)));
    const marks = [mark('idle', agents[0]!, 1000), mark('idle', agents[1]!, 3000), mark('idle', agents[2]!, 2000)];
    expect(plan({ containers: agents, registrations, marks, waiting: 3 }).stopIdle).toEqual([]);
    expect(plan({ containers: agents, registrations, marks, waiting: 1 }).stopIdle.map((s) => s.agent.requestId)).toEqual([2, 3]);
    // The job requests could not be listed: no agent is judged surplus.
    expect(plan({ containers: agents, registrations, marks, waiting: Infinity }).stopIdle).toEqual([]);
    // An unmarked idle agent counts as supply too: one waiting job, two marked and one just seen.
    const fresh = container(4, 'running', 10);
    const p = plan({ containers: [...agents.slice(0, 2), fresh], registrations: byName(...[...agents.slice(0, 2), fresh].map((a) => registration(a))), marks: marks.slice(0, 2), waiting: 1 });
    expect(p.stopIdle.map((s) => s.agent.requestId)).toEqual([2, 1]);
    expect(names(p.markIdle)).toEqual([4]);
  });

  it('treats an offline, disabled registration without a job as idle too', () => {
    const idle = container(1, 'running', 2000);
    const p = plan({ containers: [idle], registrations: byName(registration(idle, { online: false, enabled: false })), marks: [mark('idle', idle, 1000)] });
    expect(p.stopIdle).toHaveLength(1);
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
    expect(p).toMatchObject({ markIdle: [late], deleteOrphan: [], clearMarks: [orphan] });
  });
});

describe('staleRegistrations', () => {
  const now = T0;
  const reg = (requestId: number, extra: Partial<PoolAgent> = {}): PoolAgent => ({
    id: requestId,
    name: agentName(ORG, 'linux', requestId),
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

  it('never touches placeholders, other pools\' agents or agents registered by anyone else', () => {
    const others = [reg(1, { name: 'placeholder-linux' }), reg(2, { name: agentName(ORG, 'windows', 2) }), reg(3, { name: 'build-vm-3' }), reg(4, { name: agentName('https://dev.azure.com/other', 'linux', 4) })];
    expect(staleRegistrations(input(others, []))).toEqual([]);
  });

});
