import type { ProfileConfig } from '../config/schema';

/**
 * One launcher per kind of compute (ACI, AKS virtual nodes). Every implementation passes the
 * shared contract suite in test/launchers/launcher-contract.ts.
 */
export interface AgentSpec {
  /** The agent's ADO name and its container group / Job name. */
  readonly name: string;
  readonly orgUrl: string;
  readonly pool: string;
  readonly profile: ProfileConfig;
  /** Started to keep the profile's standby target, not for a waiting job. */
  readonly standby?: boolean;
  /** Secret: goes only into an ACI secureValue or a Kubernetes Secret, never into logs, tags or labels. */
  readonly pat: string;
}

export type AgentPhase = 'starting' | 'running' | 'finished';

export interface ListFilter {
  readonly profile?: string;
  readonly pool?: string;
  /**
   * Lowercase names ADO reports running a job (or just finished one): a launcher whose listing
   * lacks the container state (ACI) may report them running without reading each one, so a pass
   * over a busy pool costs a listing, not a read per agent.
   */
  readonly running?: ReadonlySet<string>;
}

export interface LaunchedAgent {
  readonly name: string;
  readonly orgUrl: string;
  readonly pool: string;
  readonly profile: string;
  readonly createdAt: Date;
  readonly standby?: boolean;
  readonly phase: AgentPhase;
  /** Known once finished, where the platform reports it: the agent container's exit code. */
  readonly exitCode?: number;
  /**
   * Finished and failed, though the platform gives no exit code to say how: the legacy virtual
   * node's ACI connector shows every exited container as exit code 0 and only the pod phase
   * tells (or the Job's Failed condition, once the pod is gone). Never set beside an exitCode
   * (the code says it all).
   */
  readonly failed?: true;
}

export interface StartResult {
  readonly name: string;
  /** 'exists': a container/Job of that name was already there (the same start made again after one that got through, or a name collision). */
  readonly outcome: 'created' | 'exists';
}

export interface Launcher {
  /**
   * Starts the agent unless one of that name exists. Fails with a ScalerError: 'throttled' (with
   * retryAfterMs) for 429 and quota errors, 'transient' for 5xx and network, 'permanent' for
   * requests that can never succeed (invalid image reference, missing permissions on the scope).
   */
  start(spec: AgentSpec): Promise<StartResult>;
  /** Only what this scaler started (tag/label managed-by=ado-agent-scaler), in this launcher's scope. */
  list(filter?: ListFilter): Promise<LaunchedAgent[]>;
  /** undefined when there is no such container/Job of ours. */
  status(name: string): Promise<LaunchedAgent | undefined>;
  /** Idempotent: deleting what is gone succeeds. */
  delete(name: string): Promise<void>;
}

/** Tag / label keys shared by both launchers, so upkeep reads either the same way (kept with the config's tag checks). */
export { LABELS, MANAGED_BY } from '../config/profile-tags';

/**
 * A LaunchedAgent from what a container group's tags or a Job's labels say, read the same way for
 * both launchers; undefined when a field is missing or malformed (not an agent of ours).
 */
export function launchedAgent(fields: {
  readonly name: string | undefined;
  readonly orgUrl: string | undefined;
  readonly pool: string | undefined;
  readonly profile: string | undefined;
  readonly standby: string | undefined;
  readonly createdAt: Date | undefined;
  readonly phase: AgentPhase;
  readonly exitCode?: number;
  readonly failed?: true;
}): LaunchedAgent | undefined {
  const { name, orgUrl, pool, profile, createdAt, phase, exitCode } = fields;
  if (!name || !orgUrl || !pool || !profile || !createdAt || Number.isNaN(createdAt.getTime())) return undefined;
  return {
    name,
    orgUrl,
    pool,
    profile,
    createdAt,
    phase,
    ...(fields.standby === 'true' ? { standby: true } : {}),
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(exitCode === undefined && fields.failed ? { failed: true as const } : {}),
  };
}
