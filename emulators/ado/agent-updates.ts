import { compareVersions } from './demands';
import { EmulatorError } from './emulator-error';
import type { AgentRecord, OrgRecord } from './records';

/**
 * Agent updates ADO asks for ("Update all agents" in a pool's settings, or a job that demands a
 * newer agent). A real agent gets the request as a message on its session and, unless
 * `agent.disableupdate` is set, downloads the target version, waits for the job it runs, exits
 * with code 4 under `--once` and comes back through run.sh. Here the request shows on the
 * registration as `pendingUpdate` (TaskAgent.pendingUpdate), which the simulated agent polls.
 * While an update is pending ADO gives the agent no new job: it waits for the update
 * (microsoft/azure-pipelines-agent#2455, microsoft/vsts-agent-docker#63). The update is done once
 * the agent reports a version at least the target.
 */
interface PendingUpdate {
  readonly sourceVersion: string;
  readonly targetVersion: string;
  readonly requestTime: string;
}

// By record, so the records themselves (shared with the REST routes) need no new field.
const pending = new WeakMap<AgentRecord, PendingUpdate>();

export interface AgentUpdateRequest {
  readonly agentId: number;
  readonly poolId: number;
  readonly targetVersion: string;
}

/** Asks agent `agentId` of the organization to update to `targetVersion`. */
export function requestAgentUpdate(org: OrgRecord, agentId: number, targetVersion: unknown, now: string): AgentUpdateRequest {
  if (typeof targetVersion !== 'string' || !/^\d+\.\d+\.\d+$/.test(targetVersion)) {
    throw new EmulatorError(400, `"targetVersion" must be an agent version such as "4.260.0", got ${JSON.stringify(targetVersion)}`);
  }
  for (const pool of org.pools.values()) {
    const agent = pool.agents.get(agentId);
    if (!agent) continue;
    if (compareVersions(agent.version, targetVersion) >= 0) {
      throw new EmulatorError(409, `Agent ${agent.name} already runs version ${agent.version}; ask for a newer "targetVersion" than that`);
    }
    pending.set(agent, { sourceVersion: agent.version, targetVersion, requestTime: now });
    return { agentId, poolId: pool.id, targetVersion };
  }
  throw new EmulatorError(404, `No agent with id ${agentId} in organization "${org.name}"`);
}

export function hasPendingUpdate(agent: AgentRecord): boolean {
  return pending.has(agent);
}

/** After a registration changed: the update is done once the agent reports the target version (or newer). */
export function settleAgentUpdate(agent: AgentRecord): void {
  const update = pending.get(agent);
  if (update && compareVersions(agent.version, update.targetVersion) >= 0) pending.delete(agent);
}

/** `pendingUpdate` as a registration carries it, or nothing when no update is pending. */
export function pendingUpdateField(agent: AgentRecord): { pendingUpdate?: Record<string, unknown> } {
  const update = pending.get(agent);
  if (!update) return {};
  return {
    pendingUpdate: {
      reason: { code: 'manual' },
      requestTime: update.requestTime,
      sourceVersion: packageVersion(update.sourceVersion),
      targetVersion: packageVersion(update.targetVersion),
    },
  };
}

function packageVersion(version: string): { major: number; minor: number; patch: number } {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return { major, minor, patch };
}
