import { sendAdoError, sendJson } from './http-util';
import { stateOf } from './jobs';
import { intSegment, pathIs, type RestRoute } from './rest-context';
import { jobRequestBody } from './rest-shapes';
import type { JobRecord } from './state';

/**
 * `GET _apis/distributedtask/pools/{poolId}/jobrequests?completedRequestCount=N`, the undocumented
 * listing KEDA uses: every unfinished request plus at most N finished ones (the latest). Also the
 * typed client's filters (`agentId`, `planId`+`jobId`) and `GET .../jobrequests/{requestId}`.
 */
export const handleJobRequests: RestRoute = (ctx) => {
  const { segments, method, query, res, org, orgUrl } = ctx;
  if (method !== 'GET') return false;
  const list = pathIs(segments, 'distributedtask', 'pools', null, 'jobrequests');
  if (!list && !pathIs(segments, 'distributedtask', 'pools', null, 'jobrequests', null)) return false;
  const pool = org.pools.get(intSegment(segments[2]) ?? -1);
  if (!pool) {
    sendAdoError(res, 404, 'TaskAgentPoolNotFoundException', `Agent pool ${segments[2]} could not be found.`);
    return true;
  }
  const inPool = [...ctx.state.jobs.values()].filter((j) => j.orgName === org.name && j.poolId === pool.id);
  if (!list) {
    const job = inPool.find((j) => j.requestId === intSegment(segments[4]));
    if (job) sendJson(res, 200, jobRequestBody(orgUrl, org, pool, job));
    else sendAdoError(res, 404, 'TaskAgentJobNotFoundException', `No job request could be found with identifier ${segments[4]}.`);
    return true;
  }
  let jobs = filterBy(inPool, query);
  const bound = query.get('completedRequestCount');
  if (bound === null) {
    ctx.note({ unbounded: true });
  } else {
    const n = Math.max(0, Number.parseInt(bound, 10) || 0);
    const keep = new Set(
      jobs
        .filter((j) => stateOf(j) === 'finished')
        .sort((a, b) => (b.finishTime ?? '').localeCompare(a.finishTime ?? '') || b.requestId - a.requestId)
        .slice(0, n),
    );
    jobs = jobs.filter((j) => stateOf(j) !== 'finished' || keep.has(j));
  }
  jobs.sort((a, b) => a.requestId - b.requestId);
  sendJson(res, 200, { count: jobs.length, value: jobs.map((j) => jobRequestBody(orgUrl, org, pool, j)) });
  return true;
};

function filterBy(jobs: JobRecord[], query: URLSearchParams): JobRecord[] {
  const agentIds = query.get('agentId') ?? query.get('agentIds');
  const planId = query.get('planId')?.toLowerCase();
  const jobId = query.get('jobId')?.toLowerCase();
  const agents = agentIds === null ? undefined : new Set(agentIds.split(',').map((s) => Number(s.trim())));
  return jobs.filter(
    (j) =>
      (agents === undefined || (j.agentId !== undefined && agents.has(j.agentId))) &&
      (planId === undefined || j.planId.toLowerCase() === planId) &&
      (jobId === undefined || j.jobId.toLowerCase() === jobId),
  );
}
