import { sendAdoError, sendJson } from './http-util';
import { intSegment, pathIs, type RestRoute } from './rest-context';
import { poolBody } from './rest-shapes';

/** `GET _apis/distributedtask/pools[?poolName=|poolIds=]` and `GET .../pools/{poolId}`. */
export const handlePools: RestRoute = (ctx) => {
  const { segments, method, query, res, org } = ctx;
  if (method !== 'GET') return false;
  if (pathIs(segments, 'distributedtask', 'pools')) {
    let pools = [...org.pools.values()];
    const name = query.get('poolName');
    // Exact and case-insensitive; duplicate names (possible in the emulator's config) all match.
    if (name !== null) pools = pools.filter((p) => p.name.toLowerCase() === name.toLowerCase());
    const ids = query.get('poolIds');
    if (ids !== null) {
      const wanted = new Set(ids.split(',').map((s) => Number(s.trim())));
      pools = pools.filter((p) => wanted.has(p.id));
    }
    sendJson(res, 200, { count: pools.length, value: pools.map(poolBody) });
    return true;
  }
  if (pathIs(segments, 'distributedtask', 'pools', null)) {
    const pool = org.pools.get(intSegment(segments[2]) ?? -1);
    if (pool) sendJson(res, 200, poolBody(pool));
    else sendAdoError(res, 404, 'TaskAgentPoolNotFoundException', `Agent pool ${segments[2]} could not be found.`);
    return true;
  }
  return false;
};
