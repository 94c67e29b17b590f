import { ScalerError } from '../errors/scaler-error';

/**
 * What a credential must hold for a kind of call, as the PAT dialog names it (for the fix) and as
 * the REST specs name it (MicrosoftDocs/vsts-rest-api-specs, each operation's `security`).
 */
export interface AdoScope {
  /** As the PAT dialog shows it, e.g. "Agent Pools (Read & manage)". */
  readonly label: string;
  /** As ADO names it, e.g. "vso.agentpools_manage". */
  readonly id: string;
  /** What a Microsoft Entra identity needs instead: its token has no scopes, its permissions decide. */
  readonly identityNeeds: string;
}

/** Pools, agents and job requests: the pool credential, which also goes into every agent container. */
export const AGENT_POOLS_SCOPE: AdoScope = {
  label: 'Agent Pools (Read & manage)',
  id: 'vso.agentpools_manage',
  identityNeeds: 'the Administrator role on the agent pool (Organization settings > Agent pools > the pool > Security)',
};

/**
 * Service hook subscriptions. The hooks spec lists vso.work, vso.build and vso.code for them;
 * job events come from Pipelines, so Build (Read) is the one that belongs to them.
 */
export const SERVICE_HOOKS_SCOPE: AdoScope = {
  label: 'Build (Read)',
  id: 'vso.build',
  identityNeeds: 'the View and Edit subscriptions permissions of service hooks (Project Administrators have them)',
};

/** Reading a project (`hook:create` looks its id up). */
export const PROJECT_READ_SCOPE: AdoScope = {
  label: 'Project and Team (Read)',
  id: 'vso.project',
  identityNeeds: 'membership of the project',
};

/**
 * ADO refused a call with a credential it accepts for others: a scope (or, for an identity, a
 * permission) is missing. Reading the secret again cannot help, and the credential is not revoked.
 */
export class MissingScopeError extends ScalerError {
  constructor(
    message: string,
    readonly scope: AdoScope,
    cause: unknown,
  ) {
    super('permanent', message, { status: 401, cause });
    this.name = 'MissingScopeError';
  }
}
