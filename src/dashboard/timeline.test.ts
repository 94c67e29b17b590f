import { describe, expect, it } from 'vitest';
import type { JobRequest } from '../ado/job-requests';
import { timelineOf, waitOf, waitSummary } from './timeline';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const request = (requestId: number, state: JobRequest['state'], more: Partial<JobRequest> = {}): JobRequest => ({
  requestId,
  jobId: `j${requestId}`,
  state,
  demands: [],
  rawDemands: [],
  ...more,
});

describe('timelineOf', () => {
  it('keeps queued → assigned → finished per job, oldest first, with the result as the outcome', () => {
    const t = timelineOf(
      [
        request(3, 'waiting', { queueTime: at(5) }),
        request(1, 'finished', { queueTime: at(100), assignTime: at(90), finishTime: at(60), result: 'failed', agentName: 'ado-a', pipeline: 'web' }),
        request(2, 'running', { queueTime: at(50), assignTime: at(48), agentName: 'ado-b' }),
        request(4, 'finished', { queueTime: at(40), finishTime: at(30), result: 'canceled' }),
        request(5, 'finished', { queueTime: at(20), assignTime: at(19), finishTime: at(10), result: 'somethingNew' }),
        request(6, 'waiting'),
      ],
      NOW,
    );
    expect(t.jobs.map((j) => [j.requestId, j.outcome])).toEqual([
      [1, 'failed'],
      [2, 'running'],
      [4, 'canceled'],
      [5, 'other'],
      [3, 'waiting'],
    ]);
    expect(t.jobs[0]).toEqual({
      requestId: 1,
      pipeline: 'web',
      agent: 'ado-a',
      queued: NOW - 100_000,
      assigned: NOW - 90_000,
      finished: NOW - 60_000,
      outcome: 'failed',
      result: 'failed',
    });
    expect(t.jobs[2]).not.toHaveProperty('assigned');
    expect([t.from, t.to]).toEqual([NOW - 100_000, NOW]);
    expect(t.jobs.map((j) => waitOf(j, NOW) / 1000)).toEqual([10, 2, 10, 1, 5]);
    expect(waitSummary(t, NOW)).toEqual({ median: 5_000, longest: 10_000, waiting: 1 });
  });

  it('draws at most the latest jobs by queue time, and at least 10 s', () => {
    const many = Array.from({ length: 30 }, (_, i) => request(i + 1, 'waiting', { queueTime: at(30 - i) }));
    const t = timelineOf(many, NOW, 20);
    expect(t.jobs.map((j) => j.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    expect(timelineOf([request(1, 'waiting', { queueTime: at(2) })], NOW).from).toBe(NOW - 10_000);
    expect(timelineOf([], NOW)).toEqual({ from: NOW - 10_000, to: NOW, jobs: [] });
    expect(waitSummary(timelineOf([], NOW), NOW)).toBeUndefined();
  });

  it("stretches to ADO's clock when it runs ahead, and never lets a job end before it began", () => {
    const t = timelineOf([request(1, 'finished', { queueTime: at(10), assignTime: at(20), finishTime: at(-3), result: 'succeeded' })], NOW);
    expect(t.to).toBe(NOW + 3_000);
    expect(t.jobs[0]).toMatchObject({ queued: NOW - 10_000, assigned: NOW - 10_000, finished: NOW + 3_000 });
  });
});
