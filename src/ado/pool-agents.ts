import type { ITaskAgentApi } from 'azure-devops-node-api/TaskAgentApi';
import { TaskAgentStatus, type TaskAgent } from 'azure-devops-node-api/interfaces/TaskAgentInterfaces';
import { ScalerError } from '../errors/scaler-error';
import type { AdoCall } from './service-hooks';

/** An agent registration as upkeep reads it. */
export interface PoolAgent {
  readonly id: number;
  readonly name: string;
  readonly online: boolean;
  readonly enabled: boolean;
  readonly version: string;
  readonly createdOn?: Date;
  /** The job request the agent runs now: a busy agent is never touched. */
  readonly assignedRequestId?: number;
  readonly systemCapabilities: Readonly<Record<string, string>>;
}

/** What a registration made by the scaler itself (a placeholder) carries. */
export interface AgentRegistration {
  readonly name: string;
  readonly version: string;
  readonly systemCapabilities: Readonly<Record<string, string>>;
}

/** Agent registrations of a pool, through the typed TaskAgentApi and the client's call wrapper. */
export interface PoolAgentCalls {
  /** With capabilities and the assigned request; `name` narrows to that agent. */
  agents(poolId: number, name?: string): Promise<PoolAgent[]>;
  /** Registers an offline, enabled agent; 'exists' when the name is taken (ADO answers 409). */
  addAgent(poolId: number, agent: AgentRegistration): Promise<'created' | 'exists'>;
  /** Replaces version and capabilities (PUT: capabilities removed from the input go too). */
  replaceAgent(poolId: number, agentId: number, agent: AgentRegistration): Promise<void>;
  /** A disabled agent is given no job; upkeep disables an idle agent before stopping it. */
  setAgentEnabled(poolId: number, agentId: number, enabled: boolean): Promise<void>;
  /** Idempotent: a registration already gone counts as removed. */
  deleteAgent(poolId: number, agentId: number): Promise<void>;
}

export function poolAgentCalls(api: () => Promise<ITaskAgentApi>, call: AdoCall, orgUrl: string): PoolAgentCalls {
  const where = (poolId: number) => `pool ${poolId} of ${orgUrl}`;
  return {
    async agents(poolId, name) {
      const found = await call(`the agent listing of ${where(poolId)}`, async () => (await api()).getAgents(poolId, name, true, true));
      return (found ?? []).flatMap((a) => {
        const agent = poolAgent(a);
        return agent && (name === undefined || agent.name.toLowerCase() === name.toLowerCase()) ? [agent] : [];
      });
    },
    async addAgent(poolId, agent) {
      try {
        await call(`the registration of agent ${agent.name} in ${where(poolId)}`, async () => (await api()).addAgent(registration(agent), poolId));
        return 'created';
      } catch (e) {
        if (statusOf(e) === 409) return 'exists';
        throw e;
      }
    },
    async replaceAgent(poolId, agentId, agent) {
      await call(`the update of agent ${agent.name} in ${where(poolId)}`, async () =>
        (await api()).replaceAgent({ ...registration(agent), id: agentId }, poolId, agentId),
      );
    },
    async setAgentEnabled(poolId, agentId, enabled) {
      await call(`${enabled ? 'enabling' : 'disabling'} agent ${agentId} in ${where(poolId)}`, async () =>
        (await api()).updateAgent({ id: agentId, enabled }, poolId, agentId),
      );
    },
    async deleteAgent(poolId, agentId) {
      try {
        await call(`the removal of agent ${agentId} from ${where(poolId)}`, async () => (await api()).deleteAgent(poolId, agentId));
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
      }
    },
  };
}

function registration(agent: AgentRegistration): TaskAgent {
  // Offline and enabled: ADO counts it when it checks whether any agent could run a job (so the
  // job waits), and gives it none, since only an online agent receives work.
  return {
    name: agent.name,
    version: agent.version,
    status: TaskAgentStatus.Offline,
    enabled: true,
    maxParallelism: 1,
    systemCapabilities: { ...agent.systemCapabilities },
  };
}

function poolAgent(a: TaskAgent): PoolAgent | undefined {
  if (typeof a.id !== 'number' || !a.name) return undefined;
  const requestId = a.assignedRequest?.requestId;
  return {
    id: a.id,
    name: a.name,
    online: a.status === TaskAgentStatus.Online,
    enabled: a.enabled !== false,
    version: a.version ?? '',
    ...(a.createdOn instanceof Date && !Number.isNaN(a.createdOn.getTime()) ? { createdOn: a.createdOn } : {}),
    // An assigned request without an id is still an assignment: treat the agent as busy.
    ...(a.assignedRequest ? { assignedRequestId: typeof requestId === 'number' ? requestId : -1 } : {}),
    systemCapabilities: a.systemCapabilities ?? {},
  };
}

function statusOf(e: unknown): number | undefined {
  return e instanceof ScalerError ? e.details.status : undefined;
}
