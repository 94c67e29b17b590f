import { describe, expect, it } from 'vitest';
import { JOB_STATE_CHANGED, readServiceHookEvent } from './job-state-event';

const ID = 'd3d3d3d3-eeee-ffff-aaaa-b4b4b4b4b4b4';
const ORG = 'https://dev.azure.com/contoso/';
const event = (job: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  eventType: JOB_STATE_CHANGED,
  resource: { job: { id: ID, state: 'waiting', ...job } },
  resourceContainers: { account: { id: 'x', baseUrl: ORG } },
  ...extra,
});
const reason = (json: unknown) => {
  const read = readServiceHookEvent(json);
  return 'reason' in read ? read.reason : '';
};

describe('readServiceHookEvent', () => {
  it('takes inProgress, as real deliveries write a running job, and Running, in any casing, for running', () => {
    for (const state of ['inProgress', 'INPROGRESS', 'inprogress', 'running', 'Running']) {
      expect(readServiceHookEvent(event({ state }))).toMatchObject({ kind: 'job', state: 'running' });
    }
    expect(readServiceHookEvent(event({ state: 'in progress' }))).toMatchObject({ kind: 'otherState' });
  });

  it('answers a job id that is not a GUID with a reason naming the field and the fix, the value cut short', () => {
    // The issue's delivery: a long string where the id goes.
    const long = reason(event({ id: 'x'.repeat(100_000) }));
    expect(long).toMatch(
      /^resource\.job\.id must be the job's GUID, e\.g\. d3d3d3d3-eeee-ffff-aaaa-b4b4b4b4b4b4, not "x+…" \(100000 characters\); send the event as ADO writes it$/,
    );
    expect(long.length).toBeLessThan(200);
    expect(reason(event({ id: 42 }))).toContain('not a number');
    expect(reason(event({ id: `{${ID}}` }))).toContain('resource.job.id');
    expect(readServiceHookEvent(event({ id: ID.toUpperCase() }))).toMatchObject({ kind: 'job', jobId: ID.toUpperCase() });
  });

  it('names the missing or mistyped field it needs', () => {
    expect(reason([])).toMatch(/^body is an array, not a service hook event/);
    expect(reason({ eventType: 5 })).toMatch(/^eventType must name the event, e\.g\. "ms\.vss-pipelines\.job-state-changed-event", not a number/);
    expect(reason({ eventType: JOB_STATE_CHANGED })).toMatch(/^resource\.job must be the job object, not nothing/);
    expect(reason(event({ state: null }))).toMatch(/^resource\.job\.state must be the job's state, e\.g\. "waiting", not null/);
  });

  it('does not let a field it does not read decide anything', () => {
    const odd = event({ name: 7, result: {}, _links: 'none' }, { publisherId: [], resourceContainers: 'nope' });
    (odd.resource as Record<string, unknown>).run = 'x';
    (odd.resource as Record<string, unknown>).pipeline = { id: 'not a number', url: 3 };
    expect(readServiceHookEvent(odd)).toEqual({ kind: 'job', jobId: ID, state: 'waiting', organizationHints: [] });
  });

  it("reads the body's own fields only: a __proto__ key is data, not a prototype", () => {
    const forged = JSON.parse(
      `{"eventType":"${JOB_STATE_CHANGED}","resource":{"job":{"__proto__":{"id":"${ID}","state":"waiting"}}},"resourceContainers":{"account":{"__proto__":{"baseUrl":"${ORG}"}}}}`,
    ) as unknown;
    expect(reason(forged)).toMatch(/^resource\.job\.id must be the job's GUID/);
    const hints = JSON.parse(
      `{"eventType":"${JOB_STATE_CHANGED}","resource":{"job":{"id":"${ID}","state":"waiting"}},"resourceContainers":{"account":{"__proto__":{"baseUrl":"${ORG}"}}}}`,
    ) as unknown;
    expect(readServiceHookEvent(hints)).toMatchObject({ kind: 'job', organizationHints: [] });
  });

  it('lists where the organization can be read, best first, and at most 16', () => {
    const links = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`l${i}`, { href: `${ORG}p/_build/results?buildId=${i}` }]));
    const read = readServiceHookEvent(
      event({ _links: links }, { resourceContainers: { collection: { baseUrl: 'https://dev.azure.com/c/' }, account: { baseUrl: ORG } } }),
    );
    expect(read.kind === 'job' && read.organizationHints.slice(0, 3)).toEqual([ORG, 'https://dev.azure.com/c/', `${ORG}p/_build/results?buildId=0`]);
    expect(read.kind === 'job' && read.organizationHints.length).toBe(16);
  });
});
