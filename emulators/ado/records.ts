/** The in-memory records the emulator keeps: organizations, pools, agents, job requests, subscriptions. */
import type { JobResult } from './types';

export interface ProjectRecord {
  readonly id: string;
  readonly name: string;
}

export interface AgentRecord {
  readonly id: number;
  name: string;
  version: string;
  osDescription?: string;
  enabled: boolean;
  status: 'online' | 'offline';
  provisioningState: string;
  maxParallelism: number;
  systemCapabilities: Record<string, string>;
  userCapabilities: Record<string, string>;
  authorization?: Record<string, unknown>;
  readonly createdOn: string;
  statusChangedOn: string;
  assignedRequestId?: number;
  lastCompletedRequestId?: number;
}

export interface PoolRecord {
  readonly id: number;
  readonly name: string;
  readonly scope: string;
  readonly createdOn: string;
  readonly agents: Map<number, AgentRecord>;
}

export type SubscriptionStatus = 'enabled' | 'onProbation' | 'disabledByUser' | 'disabledBySystem' | 'disabledByInactiveIdentity';

export interface SubscriptionRecord {
  readonly id: string;
  status: SubscriptionStatus;
  probationRetries: number;
  publisherId: string;
  eventType: string;
  resourceVersion: string | null;
  consumerId: string;
  consumerActionId: string;
  publisherInputs: Record<string, string>;
  /** Unmasked: deliveries need the password; answers mask it. */
  consumerInputs: Record<string, string>;
  readonly tfsSubscriptionId: string;
  readonly createdDate: string;
  modifiedDate: string;
}

export interface OrgRecord {
  readonly name: string;
  readonly accountId: string;
  readonly collectionId: string;
  readonly projects: ProjectRecord[];
  readonly pools: Map<number, PoolRecord>;
  readonly subscriptions: Map<string, SubscriptionRecord>;
  nextPoolId: number;
  nextAgentId: number;
  nextNotificationId: number;
}

export interface JobRecord {
  readonly requestId: number;
  readonly jobId: string;
  readonly orgName: string;
  readonly poolId: number;
  readonly projectId: string;
  readonly planId: string;
  readonly demands: readonly string[];
  readonly queueTime: string;
  readonly definitionId: number;
  readonly pipelineName: string;
  readonly buildId: number;
  readonly runName: string;
  readonly stageId: string;
  readonly stageName: string;
  readonly jobName: string;
  assignTime?: string;
  receiveTime?: string;
  finishTime?: string;
  result?: JobResult;
  agentId?: number;
  agentName?: string;
}
