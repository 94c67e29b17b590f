import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentJobRequests } from './job-requests';

const fixtures = join(__dirname, '../../test/fixtures/ado');

describe('currentJobRequests', () => {
  it('reads the recorded KEDA listing: the assigned request is running, with its demands typed', () => {
    const body: unknown = JSON.parse(readFileSync(join(fixtures, 'keda.jobrequests_response.json'), 'utf8'));
    const requests = currentJobRequests(body);
    expect(requests.length).toBeGreaterThan(0);
    const first = requests.find((r) => r.requestId === 890659);
    expect(first?.state).toBe('running');
    expect(first?.demands).toContainEqual({ kind: 'gtVersion', name: 'Agent.Version', value: '2.182.1' });
  });

  it('keeps the names of the agents ADO says could run a request, where it says so', () => {
    const body: unknown = JSON.parse(readFileSync(join(fixtures, 'keda.jobrequests_response.json'), 'utf8'));
    const [running, matched] = currentJobRequests(body);
    expect(running?.matchedAgents).toBeUndefined();
    expect(matched?.matchedAgents).toContain('dotnet60-keda-template');
  });

  it('reads a recorded finished request, as completedRequestCount adds them, with the agent ADO gave it to', () => {
    const body = JSON.parse(readFileSync(join(fixtures, 'keda.jobrequest_completed_item.json'), 'utf8')) as { reservedAgent: { name: string } };
    expect(currentJobRequests({ value: [body] })).toEqual([
      expect.objectContaining({ requestId: 890659, state: 'finished', agentName: body.reservedAgent.name }),
    ]);
  });

  it('keeps when a request was assigned and finished, how it ended and its pipeline, for the dashboard', () => {
    const body = JSON.parse(readFileSync(join(fixtures, 'keda.jobrequest_completed_item.json'), 'utf8')) as Record<string, unknown>;
    expect(currentJobRequests({ value: [body] })[0]).toMatchObject({
      queueTime: '2022-09-28T11:19:49.89Z',
      assignTime: '2022-09-28T11:20:29.5033333Z',
      result: 'succeeded',
      pipeline: 'base - main',
    });
    // Only receiveTime: the agent has it, so it was assigned by then. A null result is no result.
    expect(currentJobRequests({ value: [{ requestId: 1, jobId: 'x', receiveTime: '2026-01-01T00:00:02Z', result: null, definition: null }] })[0]).toEqual(
      expect.objectContaining({ assignTime: '2026-01-01T00:00:02Z', state: 'running' }),
    );
    expect(currentJobRequests({ value: [{ requestId: 1, jobId: 'x', result: null }] })[0]).not.toHaveProperty('result');
  });

  it('classifies waiting, running and finished requests', () => {
    const list = {
      count: 4,
      value: [
        { requestId: 1, jobId: 'a', queueTime: '2026-01-01T00:00:00Z', demands: ['docker'] },
        { requestId: 2, jobId: 'b', assignTime: '2026-01-01T00:00:01Z' },
        { requestId: 3, jobId: 'c', reservedAgent: { id: 7 } },
        { requestId: 4, jobId: 'd', finishTime: '2026-01-01T00:01:00Z', result: 'succeeded' },
        { requestId: 5, jobId: 'e', result: 'canceled' },
      ],
    };
    expect(currentJobRequests(list).map((r) => [r.jobId, r.state])).toEqual([
      ['a', 'waiting'],
      ['b', 'running'],
      ['c', 'running'],
      ['d', 'finished'],
      ['e', 'finished'],
    ]);
  });

  it('keeps only the highest requestId per jobId (retries reuse the jobId)', () => {
    const list = {
      value: [
        { requestId: 10, jobId: 'JOB', result: 'failed', finishTime: 't' },
        { requestId: 12, jobId: 'job' },
        { requestId: 11, jobId: 'job', result: 'canceled' },
      ],
    };
    expect(currentJobRequests(list)).toMatchObject([{ requestId: 12, state: 'waiting' }]);
  });

  it('takes a null value list as empty and tolerates unknown fields', () => {
    expect(currentJobRequests({ count: 0, value: null })).toEqual([]);
    expect(currentJobRequests({ value: [{ requestId: 1, jobId: 'x', somethingNew: { a: 1 } }] })).toHaveLength(1);
  });
});
