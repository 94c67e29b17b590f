import { pendingUpdateField } from './agent-updates';
import { agentMeetsDemands } from './demands';
import type { AgentRecord, JobRecord, OrgRecord, PoolRecord, SubscriptionRecord } from './state';

/**
 * Bodies as dev.azure.com writes them: shapes from test/fixtures/ado (hooks.7.1.*.json for
 * subscriptions, keda.*.json for job requests; see test/fixtures/SOURCES.md).
 */

const EMULATOR_IDENTITY_ID = '00ca946b-2fe9-4f2a-ae2f-40d5c48001bc';
/** The service owner GUID ADO puts on build job requests. */
const BUILD_SERVICE_OWNER = '00025394-6065-48ca-87d9-7f5672854ef7';
export const MASKED = '********';
/** Consumer inputs ADO never echoes. */
const SECRET_CONSUMER_INPUTS = new Set(['basicauthpassword', 'password', 'apitoken', 'usertoken']);

export function identityRef(): Record<string, unknown> {
  return {
    displayName: 'Emulator Admin',
    id: EMULATOR_IDENTITY_ID,
    uniqueName: 'admin@emulator.local',
    descriptor: 'aad.ZW11bGF0b3ItYWRtaW4',
  };
}

export function poolBody(pool: PoolRecord): Record<string, unknown> {
  return {
    createdOn: pool.createdOn,
    autoProvision: false,
    autoUpdate: true,
    autoSize: true,
    targetSize: null,
    agentCloudId: null,
    createdBy: identityRef(),
    owner: identityRef(),
    id: pool.id,
    scope: pool.scope,
    name: pool.name,
    isHosted: false,
    poolType: 'automation',
    size: pool.agents.size,
    isLegacy: false,
    options: 'none',
  };
}

export interface AgentDetail {
  readonly includeCapabilities?: boolean;
  readonly assignedRequest?: JobRecord;
  readonly lastCompletedRequest?: JobRecord;
}

function agentLinks(orgUrl: string, poolId: number, agentId: number): Record<string, unknown> {
  return {
    self: { href: `${orgUrl}/_apis/distributedtask/pools/${poolId}/agents/${agentId}` },
    web: { href: `${orgUrl}/_settings/agentpools?view=jobs&poolId=${poolId}&agentId=${agentId}` },
  };
}

/** The short agent form job requests embed (`reservedAgent`, `matchedAgents`). */
export function agentReference(orgUrl: string, poolId: number, agent: AgentRecord): Record<string, unknown> {
  return {
    _links: agentLinks(orgUrl, poolId, agent.id),
    id: agent.id,
    name: agent.name,
    version: agent.version,
    ...(agent.osDescription !== undefined ? { osDescription: agent.osDescription } : {}),
    enabled: agent.enabled,
    status: agent.status,
    provisioningState: agent.provisioningState,
    accessPoint: 'CodexAccessMapping',
  };
}

export function agentBody(orgUrl: string, org: OrgRecord, pool: PoolRecord, agent: AgentRecord, detail: AgentDetail = {}): Record<string, unknown> {
  return {
    _links: agentLinks(orgUrl, pool.id, agent.id),
    ...(detail.includeCapabilities ? { systemCapabilities: agent.systemCapabilities, userCapabilities: agent.userCapabilities } : {}),
    ...(detail.assignedRequest ? { assignedRequest: jobRequestBody(orgUrl, org, pool, detail.assignedRequest) } : {}),
    ...(detail.lastCompletedRequest ? { lastCompletedRequest: jobRequestBody(orgUrl, org, pool, detail.lastCompletedRequest) } : {}),
    maxParallelism: agent.maxParallelism,
    createdOn: agent.createdOn,
    statusChangedOn: agent.statusChangedOn,
    ...(agent.authorization ? { authorization: agent.authorization } : {}),
    id: agent.id,
    name: agent.name,
    version: agent.version,
    ...(agent.osDescription !== undefined ? { osDescription: agent.osDescription } : {}),
    enabled: agent.enabled,
    status: agent.status,
    provisioningState: agent.provisioningState,
    ...pendingUpdateField(agent),
    accessPoint: 'CodexAccessMapping',
  };
}

/**
 * A job request in the shape of keda.jobrequests_response.json. Waiting: no result, no
 * assignTime/receiveTime/reservedAgent. Running: those three. Finished: finishTime and result.
 */
export function jobRequestBody(orgUrl: string, org: OrgRecord, pool: PoolRecord, job: JobRecord): Record<string, unknown> {
  const projectUrl = `${orgUrl}/${job.projectId}`;
  const agent = job.agentId !== undefined ? pool.agents.get(job.agentId) : undefined;
  const waiting = job.assignTime === undefined && job.finishTime === undefined;
  const matched = waiting ? [...pool.agents.values()].filter((a) => agentMeetsDemands(a, job.demands)) : [];
  return {
    requestId: job.requestId,
    ...(job.result !== undefined ? { result: job.result } : {}),
    queueTime: job.queueTime,
    ...(job.assignTime !== undefined ? { assignTime: job.assignTime } : {}),
    ...(job.receiveTime !== undefined ? { receiveTime: job.receiveTime } : {}),
    ...(job.finishTime !== undefined ? { finishTime: job.finishTime } : {}),
    ...(job.assignTime !== undefined && job.finishTime === undefined ? { lockedUntil: new Date(Date.parse(job.assignTime) + 10 * 60_000).toISOString() } : {}),
    serviceOwner: BUILD_SERVICE_OWNER,
    hostId: org.collectionId,
    scopeId: job.projectId,
    planType: 'Build',
    planId: job.planId,
    jobId: job.jobId,
    demands: [...job.demands],
    ...(job.agentId !== undefined ? { reservedAgent: agent ? agentReference(orgUrl, pool.id, agent) : { id: job.agentId, name: job.agentName } } : {}),
    ...(matched.length > 0 ? { matchedAgents: matched.map((a) => agentReference(orgUrl, pool.id, a)) } : {}),
    definition: {
      _links: {
        web: { href: `${projectUrl}/_build/definition?definitionId=${job.definitionId}` },
        self: { href: `${projectUrl}/_apis/build/Definitions/${job.definitionId}` },
      },
      id: job.definitionId,
      name: job.pipelineName,
    },
    owner: {
      _links: {
        web: { href: `${projectUrl}/_build/results?buildId=${job.buildId}` },
        self: { href: `${projectUrl}/_apis/build/Builds/${job.buildId}` },
      },
      id: job.buildId,
      name: job.runName,
    },
    data: { ParallelismTag: 'Private', IsScheduledKey: 'False' },
    poolId: pool.id,
    orchestrationId: `${job.planId}.${job.stageName}.${job.jobName}.__default`,
    priority: 0,
  };
}

function actionDescription(consumerInputs: Record<string, string>): string {
  try {
    return `To host ${new URL(consumerInputs.url ?? '').hostname}`;
  } catch {
    return '';
  }
}

/** A subscription as hooks.7.1.*.json show it: no `status` when enabled, secrets masked. */
export function subscriptionBody(orgUrl: string, org: OrgRecord, sub: SubscriptionRecord): Record<string, unknown> {
  const consumerInputs = Object.fromEntries(
    Object.entries(sub.consumerInputs).map(([k, v]) => [k, SECRET_CONSUMER_INPUTS.has(k.toLowerCase()) && v !== '' ? MASKED : v]),
  );
  return {
    id: sub.id,
    url: `${orgUrl}/_apis/hooks/subscriptions/${sub.id}`,
    ...(sub.status !== 'enabled' ? { status: sub.status } : {}),
    publisherId: sub.publisherId,
    eventType: sub.eventType,
    resourceVersion: sub.resourceVersion,
    eventDescription: sub.eventType === 'ms.vss-pipelines.job-state-changed-event' ? 'Any job state changed' : '',
    consumerId: sub.consumerId,
    consumerActionId: sub.consumerActionId,
    actionDescription: actionDescription(sub.consumerInputs),
    ...(sub.status === 'onProbation' ? { probationRetries: sub.probationRetries } : {}),
    createdBy: { id: EMULATOR_IDENTITY_ID },
    createdDate: sub.createdDate,
    modifiedBy: { id: EMULATOR_IDENTITY_ID },
    modifiedDate: sub.modifiedDate,
    publisherInputs: { ...sub.publisherInputs, hostId: org.collectionId, tfsSubscriptionId: sub.tfsSubscriptionId },
    consumerInputs,
  };
}
