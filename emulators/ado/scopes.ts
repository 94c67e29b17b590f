/**
 * PAT scopes as dev.azure.com checks them: each REST call accepts the scopes its spec lists
 * (MicrosoftDocs/vsts-rest-api-specs, `security.oauth2` of each operation), any one of them, and
 * a broader scope of the same family counts (Read & manage includes Read).
 */

/** A scope and the broader ones that include it (ADO's hierarchy: `_manage` > `_write`/`_execute` > read). */
const BROADER: Readonly<Record<string, readonly string[]>> = {
  'vso.agentpools': ['vso.agentpools_manage'],
  'vso.build': ['vso.build_execute'],
  'vso.code': ['vso.code_write', 'vso.code_manage', 'vso.code_full'],
  'vso.work': ['vso.work_write', 'vso.work_full'],
  'vso.project': ['vso.project_write', 'vso.project_manage'],
  'vso.hooks': ['vso.hooks_write'],
};

/** What one call needs: any of `scopes` (or a broader one). */
export interface ScopeRequirement {
  readonly scopes: readonly string[];
}

const AGENT_POOLS_READ: ScopeRequirement = { scopes: ['vso.agentpools'] };
const AGENT_POOLS_MANAGE: ScopeRequirement = { scopes: ['vso.agentpools_manage'] };
/**
 * specification/hooks/7.1/serviceHooks.json lists vso.work, vso.build and vso.code for every
 * subscription operation, reads and writes alike; vso.hooks / vso.hooks_write are the OAuth
 * scopes documented for service hooks (the PAT dialog does not offer them).
 */
const HOOK_READ: ScopeRequirement = { scopes: ['vso.work', 'vso.build', 'vso.code', 'vso.hooks'] };
const HOOK_WRITE: ScopeRequirement = { scopes: ['vso.work', 'vso.build', 'vso.code', 'vso.hooks_write'] };
/** specification/core/7.1/core.json: Projects_List and Projects_Get. */
const PROJECT_READ: ScopeRequirement = { scopes: ['vso.profile', 'vso.project'] };

/**
 * The scopes a call under `_apis/` needs, from its method and path segments; undefined for the
 * location calls every client makes first (OPTIONS, ResourceAreas, connectionData), which any
 * valid credential may make, whatever its scopes.
 */
export function requiredScopes(method: string, segments: readonly string[]): ScopeRequirement | undefined {
  const [area, resource] = segments.map((s) => s.toLowerCase());
  const read = method === 'GET' || method === 'HEAD';
  if (method === 'OPTIONS' || area === 'resourceareas' || area === 'connectiondata') return undefined;
  // The job request listing is not in the spec; KEDA and the agent read it with Agent Pools (Read).
  if (area === 'distributedtask' && resource === 'pools') return read ? AGENT_POOLS_READ : AGENT_POOLS_MANAGE;
  if (area === 'hooks') return read ? HOOK_READ : HOOK_WRITE;
  if (area === 'projects') return PROJECT_READ;
  return undefined;
}

/** Whether a token holding `granted` may make a call that needs `required`. */
export function grants(granted: readonly string[], required: ScopeRequirement): boolean {
  const held = new Set(granted.map((s) => s.toLowerCase()));
  return required.scopes.some((scope) => held.has(scope) || (BROADER[scope] ?? []).some((broader) => held.has(broader)));
}
