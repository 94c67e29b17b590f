import { randomUUID } from 'node:crypto';
import { optionalString, parseJsonObject, queryFlag, sendAdoError, sendEmpty, sendJson, stringRecord } from './http-util';
import { settleAgentUpdate } from './agent-updates';
import { intSegment, pathIs, type RestContext, type RestRoute } from './rest-context';
import { agentBody } from './rest-shapes';
import type { AgentRecord, PoolRecord } from './state';

/**
 * Agents of a pool: list, get, add (409 on a duplicate name), update (PATCH), replace (PUT), delete.
 * `includeAssignedRequest=true` adds the running request, which is how a simulated agent learns its job.
 */
export const handleAgents: RestRoute = (ctx) => {
  const { segments, method } = ctx;
  if (!pathIs(segments, 'distributedtask', 'pools', null, 'agents') && !pathIs(segments, 'distributedtask', 'pools', null, 'agents', null)) {
    return false;
  }
  const pool = ctx.org.pools.get(intSegment(segments[2]) ?? -1);
  if (!pool) {
    sendAdoError(ctx.res, 404, 'TaskAgentPoolNotFoundException', `Agent pool ${segments[2]} could not be found.`);
    return true;
  }
  if (segments.length === 4) {
    if (method === 'GET') return listAgents(ctx, pool);
    if (method === 'POST') return addAgent(ctx, pool);
    return false;
  }
  const agent = pool.agents.get(intSegment(segments[4]) ?? -1);
  if (!agent) {
    sendAdoError(ctx.res, 404, 'TaskAgentNotFoundException', `No agent could be found with identifier ${segments[4]}.`);
    return true;
  }
  switch (method) {
    case 'GET':
      sendJson(ctx.res, 200, body(ctx, pool, agent));
      return true;
    case 'PATCH':
    case 'PUT':
      return updateAgent(ctx, pool, agent, method === 'PUT');
    case 'DELETE':
      pool.agents.delete(agent.id);
      sendEmpty(ctx.res, 204);
      return true;
    default:
      return false;
  }
};

function body(ctx: RestContext, pool: PoolRecord, agent: AgentRecord, forceCapabilities = false): Record<string, unknown> {
  const jobs = ctx.state.jobs;
  const assigned = agent.assignedRequestId !== undefined ? jobs.get(agent.assignedRequestId) : undefined;
  const last = agent.lastCompletedRequestId !== undefined ? jobs.get(agent.lastCompletedRequestId) : undefined;
  return agentBody(ctx.orgUrl, ctx.org, pool, agent, {
    includeCapabilities: forceCapabilities || queryFlag(ctx.query, 'includeCapabilities'),
    ...(assigned && queryFlag(ctx.query, 'includeAssignedRequest') ? { assignedRequest: assigned } : {}),
    ...(last && queryFlag(ctx.query, 'includeLastCompletedRequest') ? { lastCompletedRequest: last } : {}),
  });
}

function listAgents(ctx: RestContext, pool: PoolRecord): boolean {
  const name = ctx.query.get('agentName');
  const agents = [...pool.agents.values()].filter((a) => name === null || a.name.toLowerCase() === name.toLowerCase());
  sendJson(ctx.res, 200, { count: agents.length, value: agents.map((a) => body(ctx, pool, a)) });
  return true;
}

function addAgent(ctx: RestContext, pool: PoolRecord): boolean {
  const input = parseJsonObject(ctx.body);
  const name = optionalString(input.name)?.trim();
  if (!name) {
    sendAdoError(ctx.res, 400, 'ArgumentNullException', 'Value cannot be null.\r\nParameter name: agent.Name', 'System');
    return true;
  }
  if ([...pool.agents.values()].some((a) => a.name.toLowerCase() === name.toLowerCase())) {
    sendAdoError(ctx.res, 409, 'TaskAgentExistsException', `An agent named ${name} already exists in the ${pool.name} pool.`);
    return true;
  }
  const now = ctx.state.iso();
  const agent: AgentRecord = {
    id: ctx.org.nextAgentId++,
    name,
    version: optionalString(input.version) ?? '',
    enabled: input.enabled !== false,
    // The emulator takes the status a caller registers with; ADO derives it from the agent's session.
    status: statusOf(input.status) ?? 'offline',
    provisioningState: optionalString(input.provisioningState) ?? 'Provisioned',
    maxParallelism: typeof input.maxParallelism === 'number' ? input.maxParallelism : 1,
    systemCapabilities: stringRecord(input.systemCapabilities),
    userCapabilities: stringRecord(input.userCapabilities),
    createdOn: now,
    statusChangedOn: now,
  };
  const os = optionalString(input.osDescription);
  if (os !== undefined) agent.osDescription = os;
  const auth = input.authorization as { publicKey?: unknown } | undefined;
  if (auth?.publicKey) agent.authorization = { clientId: randomUUID(), publicKey: auth.publicKey };
  pool.agents.set(agent.id, agent);
  // An agent that comes online takes the oldest waiting job it meets, before its caller hears back.
  ctx.jobs.schedule(ctx.org.name, pool.id);
  sendJson(ctx.res, 200, body(ctx, pool, agent, true));
  return true;
}

function updateAgent(ctx: RestContext, pool: PoolRecord, agent: AgentRecord, replace: boolean): boolean {
  const input = parseJsonObject(ctx.body);
  const name = optionalString(input.name)?.trim();
  if (name && [...pool.agents.values()].some((a) => a !== agent && a.name.toLowerCase() === name.toLowerCase())) {
    sendAdoError(ctx.res, 409, 'TaskAgentExistsException', `An agent named ${name} already exists in the ${pool.name} pool.`);
    return true;
  }
  if (name) agent.name = name;
  if (typeof input.enabled === 'boolean') agent.enabled = input.enabled;
  const status = statusOf(input.status);
  if (status !== undefined) {
    if (agent.status !== status) agent.statusChangedOn = ctx.state.iso();
    agent.status = status;
  }
  const version = optionalString(input.version);
  if (version !== undefined) agent.version = version;
  // An updated agent comes back with its new version: that ends the update ADO asked for.
  settleAgentUpdate(agent);
  const os = optionalString(input.osDescription);
  if (os !== undefined) agent.osDescription = os;
  // PUT replaces the capability sets; PATCH changes only those it carries.
  if (replace || input.systemCapabilities !== undefined) agent.systemCapabilities = stringRecord(input.systemCapabilities);
  if (replace || input.userCapabilities !== undefined) agent.userCapabilities = stringRecord(input.userCapabilities);
  // Coming online, being enabled or gaining a capability can make it the agent for a waiting job.
  ctx.jobs.schedule(ctx.org.name, pool.id);
  sendJson(ctx.res, 200, body(ctx, pool, agent, true));
  return true;
}

/** ADO reads enums as names (any case) or numbers; the typed client sends TaskAgentStatus numbers. */
function statusOf(value: unknown): AgentRecord['status'] | undefined {
  if (value === 2 || (typeof value === 'string' && value.toLowerCase() === 'online')) return 'online';
  if (value === 1 || (typeof value === 'string' && value.toLowerCase() === 'offline')) return 'offline';
  return undefined;
}
