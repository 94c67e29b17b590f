import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_QUEUE } from '../../src/config/load-settings';
import { compiledMainTemplate, findResources, moduleNamed, resolveVariables, type ArmTemplate, type Located } from './compiled-template';

/**
 * Least privilege, read off the compiled template: the role assignments infra/main.bicep makes
 * are exactly these, no more. A new one is a decision to write down here, with its reason.
 * A scope argument shows as {parameter} unless it comes down from main.bicep as a fixed name,
 * which it then shows (the signal queue's name, for one).
 */

// Built-in role ids, as Microsoft Learn lists them ("Azure built-in roles").
const BUILT_IN_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
  '090c5cfd-751d-490a-894a-3ce6f1109419': 'Azure Service Bus Data Owner',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  '5d977122-f97e-4b4d-a52f-6b43003ddb4d': 'Azure Container Instances Contributor Role',
  'f1a07417-d97a-45cb-824c-7a7467783830': 'Managed Identity Operator',
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
  'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb': 'Azure Kubernetes Service RBAC Writer',
  '4d97b98b-1d4f-4787-a291-c67834d212e7': 'Network Contributor',
  '73c42c96-874c-492b-b04d-ab87d138a893': 'Log Analytics Reader',
};

const APP = 'function app identity';
const AGENTS = 'agents identity';
const AKS_CLUSTER = 'AKS cluster identity';
const ACI_CONNECTOR = 'AKS virtual-node (ACI connector) identity';
const ALERTS = 'alert rules identity';
const ALWAYS = 'always';
const WITH_NETWORK = "or(parameters('deployNetwork'), parameters('deployAks'))";
const WITH_AKS = "parameters('deployAks')";
const WITH_REGISTRY = "not(empty(parameters('registryName')))";
const WITH_ALERTS = "parameters('deployAlerts')";
const SUBNET_JOIN = 'custom: Microsoft.Network/virtualNetworks/subnets/join/action + Microsoft.Network/virtualNetworks/subnets/read';

interface Grant {
  readonly principal: string;
  readonly role: string;
  readonly scope: string;
  readonly when: string;
}

const grant = (principal: string, role: string, scope: string, when = ALWAYS): Grant => ({ principal, role, scope, when });

const EXPECTED: Grant[] = [
  // AzureWebJobsStorage (host leases, timers, deployment package), the pool leases and upkeep marks tables.
  grant(APP, 'Storage Blob Data Owner', 'Microsoft.Storage/storageAccounts({name})'),
  grant(APP, 'Storage Queue Data Contributor', 'Microsoft.Storage/storageAccounts({name})'),
  grant(APP, 'Storage Table Data Contributor', 'Microsoft.Storage/storageAccounts({name})'),
  // Webhook, reconcile, upkeep and the scheduler schedule signals; the scheduler receives them;
  // and the Functions scale controller reads the queue's length, which Service Bus serves only
  // to Manage rights: with Sender + Receiver it falls back to peeking and scales on a guess
  // (azure-functions-host#7921). Data Owner includes sending and receiving. The signal queue
  // only, not the namespace.
  grant(APP, 'Azure Service Bus Data Owner', `Microsoft.ServiceBus/namespaces/queues({namespaceName}, ${SIGNAL_QUEUE})`),
  // PATs and the webhook pair (Key Vault references): read only, this vault only.
  grant(APP, 'Key Vault Secrets User', 'Microsoft.KeyVault/vaults({name})'),
  // Agent container groups, in the agents' resource group (they do not exist before).
  grant(APP, 'Azure Container Instances Contributor Role', 'resource group {agentsResourceGroupName}'),
  // Attaching the agents' identity to a container group.
  grant(APP, 'Managed Identity Operator', 'Microsoft.ManagedIdentity/userAssignedIdentities({agentsIdentityName})'),
  // Image pulls by the container group's identity, when a registry is named.
  grant(AGENTS, 'AcrPull', 'Microsoft.ContainerRegistry/registries({registryName})', WITH_REGISTRY),
  // Joining container groups to the ACI subnet: join and read, not Network Contributor.
  grant(APP, SUBNET_JOIN, 'Microsoft.Network/virtualNetworks/subnets({vnetName}, aci-agents)', WITH_NETWORK),
  // Jobs, pods and Secrets through the Kubernetes API with an Entra token.
  grant(APP, 'Azure Kubernetes Service RBAC Writer', 'Microsoft.ContainerService/managedClusters({clusterName})', WITH_AKS),
  // AKS's own identities in a network the cluster does not own (the CLI would grant these itself).
  grant(AKS_CLUSTER, 'Network Contributor', 'Microsoft.Network/virtualNetworks/subnets({vnetName}, {nodesSubnetName})', WITH_AKS),
  grant(ACI_CONNECTOR, 'Network Contributor', 'Microsoft.Network/virtualNetworks/subnets({vnetName}, {virtualNodesSubnetName})', WITH_AKS),
  // The log search alert rules query the app's logs as their own identity: read the workspace, nothing else.
  grant(ALERTS, 'Log Analytics Reader', 'Microsoft.OperationalInsights/workspaces({workspaceName})', WITH_ALERTS),
];

let main: ArmTemplate;
let assignments: Located[];

beforeAll(() => {
  main = compiledMainTemplate();
  assignments = findResources(main, 'Microsoft.Authorization/roleAssignments');
});

describe('role assignments in infra/main.bicep', () => {
  it('are exactly the listed ones: principal, role, scope and when', () => {
    const actual = assignments.map((a) => ({ principal: principalOf(a, main), role: roleOf(a), scope: scopeOf(a, main), when: whenOf(a, main) }));
    const key = (g: Grant) => `${g.principal} | ${g.role} | ${g.scope} | ${g.when}`;
    expect(actual.map(key).sort()).toEqual(EXPECTED.map(key).sort());
  });

  it('are plain assignments to service principals, named per scope, principal and role', () => {
    for (const a of assignments) {
      const props = a.resource.properties as Record<string, unknown>;
      expect(props.principalType, a.resource.name).toBe('ServicePrincipal');
      // No ABAC condition and no delegation: nothing to widen or narrow behind the role's name.
      expect(props.condition, a.resource.name).toBeUndefined();
      expect(props.delegatedManagedIdentityResourceId, a.resource.name).toBeUndefined();
      expect(a.resource.name).toMatch(/^\[guid\(.+\)\]$/);
    }
  });

  it('define one custom role, for joining the ACI subnet, assignable only in its resource group', () => {
    const roles = findResources(main, 'Microsoft.Authorization/roleDefinitions');
    expect(roles).toHaveLength(1);
    const props = roles[0]!.resource.properties as { type: string; assignableScopes: string[]; permissions: Array<Record<string, unknown>> };
    expect(props.type).toBe('customRole');
    expect(props.assignableScopes).toEqual(['[resourceGroup().id]']);
    expect(props.permissions).toEqual([
      { actions: ['Microsoft.Network/virtualNetworks/subnets/join/action', 'Microsoft.Network/virtualNetworks/subnets/read'], notActions: [] },
    ]);
  });
});

/** Follows `parameters('x')` up through the modules to main.bicep, then names the identity. */
function principalOf(a: Located, root: ArmTemplate): string {
  let expr = String((a.resource.properties as { principalId: unknown }).principalId);
  let depth = a.chain.length;
  for (let m = /^\[parameters\('([^']+)'\)\]$/.exec(expr); m && depth > 0; m = /^\[parameters\('([^']+)'\)\]$/.exec(expr)) {
    const deployment = a.chain[depth - 1]!;
    expr = String((deployment.resource.properties as { parameters: Record<string, { value: unknown }> }).parameters[m[1]!]?.value);
    depth--;
  }
  const identities = root.resources.filter((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities');
  if (depth === 0 && identities.length === 1) {
    const nameExpr = identities[0]!.name.replace(/^\[(.*)\]$/, '$1');
    if (expr.includes(`resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', ${nameExpr})`) && expr.endsWith('.principalId]')) return APP;
  }
  if (depth === 0 && /'Microsoft\.Resources\/deployments', 'agents'\).*\)\.outputs\.agentsPrincipalId\.value\]$/.test(expr)) {
    const output = moduleNamed(root, 'agents').template.outputs?.agentsPrincipalId?.value;
    if (typeof output === 'string' && output.includes("'Microsoft.ManagedIdentity/userAssignedIdentities'") && output.endsWith('.principalId]')) return AGENTS;
  }
  const cluster = "reference\\(resourceId\\('Microsoft\\.ContainerService/managedClusters', parameters\\('\\w+'\\)\\), '[^']+'";
  if (new RegExp(`^\\[${cluster}, 'full'\\)\\.identity\\.principalId\\]$`).test(expr)) return AKS_CLUSTER;
  if (new RegExp(`^\\[${cluster}\\)\\.addonProfiles\\.aciConnectorLinux\\.identity\\.objectId\\]$`).test(expr)) return ACI_CONNECTOR;
  // The alerts module's own identity, declared beside the assignment.
  const alerts =
    a.chain.length === 1 && a.chain[0]!.resource.name === 'alerts'
      ? a.template.resources.filter((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities')
      : [];
  if (
    alerts.length === 1 &&
    expr ===
      `[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', ${alerts[0]!.name.replace(/^\[(.*)\]$/, '$1')}), '2023-01-31').principalId]`
  )
    return ALERTS;
  return `unrecognised principal ${expr}`;
}

function roleOf(a: Located): string {
  const expr = String((a.resource.properties as { roleDefinitionId: unknown }).roleDefinitionId);
  const builtIn = /^\[subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', (.+)\)\]$/.exec(expr);
  if (builtIn) {
    const id = String(resolveArgument(builtIn[1]!, a.template));
    return BUILT_IN_ROLES[id] ?? `unlisted built-in role ${id}`;
  }
  const custom = /^\[resourceId\('Microsoft\.Authorization\/roleDefinitions', (.+)\)\]$/.exec(expr);
  const definition = custom && a.template.resources.find((r) => r.type === 'Microsoft.Authorization/roleDefinitions' && r.name === `[${custom[1]}]`);
  if (definition) {
    const permissions = (definition.properties as { permissions: Array<{ actions: string[] }> }).permissions;
    return `custom: ${permissions.flatMap((p) => p.actions).join(' + ')}`;
  }
  return `unrecognised role ${expr}`;
}

function scopeOf(a: Located, root: ArmTemplate): string {
  const scope = a.resource.scope;
  if (scope === undefined) {
    const group = a.chain.findLast((d) => d.resource.resourceGroup !== undefined)?.resource.resourceGroup;
    return group === undefined ? "the deployment's resource group" : `resource group ${String(resolveArgument(group.replace(/^\[(.*)\]$/, '$1'), a.template))}`;
  }
  const m = /^\[resourceId\('([^']+)', (.+)\)\]$/.exec(scope);
  if (!m) return `unrecognised scope ${scope}`;
  return `${m[1]}(${splitArguments(m[2]!)
    .map((arg) => String(fixedName(arg, a, root) ?? resolveArgument(arg, a.template)))
    .join(', ')})`;
}

/**
 * A scope argument that is a fixed name once followed up the modules to main.bicep (a literal,
 * or a variable or module parameter holding one); undefined when it depends on anything else.
 */
function fixedName(arg: string, a: Located, root: ArmTemplate): string | undefined {
  let expr = arg;
  let depth = a.chain.length;
  const templateAt = (d: number) => (d === 0 ? root : a.chain[d - 1]!.template);
  for (let step = 0; step < 20; step++) {
    const literal = /^'([^']*)'$/.exec(expr);
    if (literal) return literal[1];
    const variable = /^variables\('([^']+)'\)$/.exec(expr);
    const parameter = /^parameters\('([^']+)'\)$/.exec(expr);
    let value: unknown;
    if (variable) {
      value = templateAt(depth).variables?.[variable[1]!];
    } else if (parameter && depth > 0) {
      value = (a.chain[depth - 1]!.resource.properties as { parameters?: Record<string, { value?: unknown }> }).parameters?.[parameter[1]!]?.value;
      depth--;
    } else {
      return undefined;
    }
    if (typeof value !== 'string') return undefined;
    const bracketed = /^\[(.*)\]$/.exec(value);
    if (!bracketed) return value;
    expr = bracketed[1]!;
  }
  return undefined;
}

/** The conditions of the modules above the assignment (in their parents' terms), joined. */
function whenOf(a: Located, root: ArmTemplate): string {
  const conditions = a.chain.flatMap((d, i) => {
    if (d.resource.condition === undefined) return [];
    const parent = i === 0 ? root : a.chain[i - 1]!.template;
    return [String(resolveVariables(d.resource.condition, parent)).replace(/^\[(.*)\]$/, '$1')];
  });
  if (a.resource.condition !== undefined) conditions.push(String(resolveVariables(a.resource.condition, a.template)).replace(/^\[(.*)\]$/, '$1'));
  return conditions.length ? conditions.join(' && ') : ALWAYS;
}

/** An expression argument: a string literal or a variable as its value, a parameter as {name}. */
function resolveArgument(arg: string, template: ArmTemplate): unknown {
  const literal = /^'([^']*)'$/.exec(arg);
  if (literal) return literal[1];
  const parameter = /^parameters\('([^']+)'\)$/.exec(arg);
  if (parameter) return `{${parameter[1]}}`;
  const variable = /^variables\('([^']+)'\)$/.exec(arg);
  if (variable) return template.variables?.[variable[1]!] ?? arg;
  return arg;
}

/** Splits `a, f(b, c), 'd'` at the commas outside parentheses and quotes. */
function splitArguments(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      args.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim()) args.push(current.trim());
  return args;
}
