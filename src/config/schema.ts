import { z } from 'zod';
import { normaliseOrgUrl } from './org-url';
import { standbyWindowProblem } from './standby-window';
import { profileTagProblems } from './profile-tags';

// Names end up in container group, Job and agent names (with a request id), which ACI caps at
// 63 characters of lowercase letters, digits and dashes.
const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$/, {
  error: 'must be 1-24 lowercase letters, digits or dashes (it becomes part of container names), e.g. "linux-small"',
});

const orgUrl = z.string().transform((raw, ctx) => {
  const result = normaliseOrgUrl(raw);
  if ('error' in result) {
    ctx.addIssue({ code: 'custom', message: result.error });
    return z.NEVER;
  }
  return result;
});

const vaultUrl = z
  .url({ protocol: /^https$/, error: 'must be the vault URL, e.g. https://<vault-name>.vault.azure.net' })
  .transform((u) => u.replace(/\/+$/, ''));

const auth = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('pat'),
      vaultUrl,
      secretName: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, {
        error: 'must be a Key Vault secret name (letters, digits, dashes), e.g. "ado-pat"',
      }),
    }),
    z.strictObject({
      kind: z.literal('managedIdentity'),
      clientId: z.guid({ error: "must be the client id (a GUID) of a user-assigned identity; omit it for the app's identity" }).optional(),
    }),
  ],
  { error: 'auth.kind must be "pat" (a PAT in Key Vault) or "managedIdentity" (Microsoft Entra)' },
);

/**
 * "preferred": Spot, falling back to Regular when Spot has no capacity; "required": Spot only,
 * waiting for Spot capacity; false: Regular. `true` (the older form) still means "preferred".
 */
const spotPolicy = z
  .union([z.boolean(), z.enum(['preferred', 'required'])], {
    error:
      'spot must be "preferred" (Spot, falling back to Regular when Spot has no capacity), "required" (Spot only: wait for Spot capacity) or false (Regular only); true means "preferred"',
  })
  .default(false)
  .transform((v): SpotPolicy => (v === true ? 'preferred' : v));

export type SpotPolicy = false | 'preferred' | 'required';

const aciLauncher = z.strictObject({
  kind: z.literal('aci'),
  subscriptionId: z.guid({ error: 'must be the subscription id (a GUID) where agents run' }),
  resourceGroup: z.string().min(1, { error: 'must name the resource group for agent container groups' }),
  location: z.string().min(1, { error: 'must be an Azure region, e.g. "westeurope"' }),
  identityId: z.string().startsWith('/subscriptions/', { error: "must be the resource id of the agents' user-assigned identity" }).optional(),
  subnetId: z
    .string()
    .startsWith('/subscriptions/', { error: 'must be the resource id of a subnet delegated to Microsoft.ContainerInstance/containerGroups' })
    .optional(),
  spot: spotPolicy,
  registry: z
    .strictObject({
      server: z.string().min(1, { error: 'must be the registry host, e.g. "myacr.azurecr.io"' }),
      identityId: z.string().startsWith('/subscriptions/').optional(),
    })
    .optional(),
});

const aksVirtualNodeLauncher = z.strictObject({
  kind: z.literal('aksVirtualNode'),
  apiServer: z.url({
    protocol: /^https$/,
    error: 'must be the cluster API server URL, e.g. https://<cluster-dns>.hcp.westeurope.azmk8s.io:443 (az aks show --query fqdn)',
  }),
  /** PEM of the cluster CA; omitted when the API server's certificate chains to a public root. */
  caCert: z
    .string()
    .includes('BEGIN CERTIFICATE', { error: 'must be the PEM text of the cluster CA (az aks get-credentials, then certificate-authority-data base64-decoded)' })
    .optional(),
  namespace: dnsLabel.default('ado-agents'),
  virtualNode: z.enum(['legacy', 'v2'], { error: 'virtualNode must be "legacy" (the ACI add-on) or "v2" (virtual nodes v2)' }).default('v2'),
});

const launcher = z.discriminatedUnion('kind', [aciLauncher, aksVirtualNodeLauncher], {
  error: 'launcher.kind must be "aci" (Azure Container Instances) or "aksVirtualNode" (AKS virtual nodes)',
});

const standbyWindow = z
  .strictObject({
    days: z.string().trim().min(1, { error: 'days must be days of the week as in cron, e.g. "MON-FRI", "SAT,SUN" or "*" (every day)' }).default('*'),
    from: z.string(),
    to: z.string(),
    timeZone: z.string().default('UTC'),
    agents: z.int().min(1, { error: 'agents must be at least 1: the idle agents to keep ready in this window' }),
  })
  .superRefine((w, ctx) => {
    const problem = standbyWindowProblem(w);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const profile = z
  .strictObject({
    name: dnsLabel,
    capabilities: z.record(z.string(), z.string()).default({}),
    agentVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, { error: 'must be the agent version the image runs, e.g. "4.255.0"' })
      .default('4.255.0'),
    image: z.string().min(1, { error: 'must name the agent image, e.g. "myacr.azurecr.io/ado-agent:4"' }),
    cpu: z.number().min(0.25).max(4, { error: 'cpu must be between 0.25 and 4 cores' }).default(1),
    memoryGb: z.number().min(0.5).max(16, { error: 'memoryGb must be between 0.5 and 16' }).default(2),
    maxAgents: z.int().min(1, { error: 'maxAgents must be at least 1' }).max(1000).default(10),
    /** Idle agents kept ready in these windows; none outside them (the default). */
    standby: z.array(standbyWindow).default([]),
    /** Azure tags on every container group (Cost Management groups by them) and labels on AKS Jobs and pods. */
    tags: z.record(z.string(), z.string()).optional(),
    launcher,
  })
  .superRefine((p, ctx) => {
    for (const problem of profileTagProblems(p.tags ?? {}, p.launcher.kind)) {
      ctx.addIssue({ code: 'custom', path: problem.name === undefined ? ['tags'] : ['tags', problem.name], message: problem.message });
    }
    p.standby.forEach((w, i) => {
      if (w.agents > p.maxAgents)
        ctx.addIssue({ code: 'custom', path: ['standby', i, 'agents'], message: `is more than maxAgents (${p.maxAgents}); lower it or raise maxAgents` });
    });
    if (p.launcher.kind === 'aci' && p.launcher.spot && p.launcher.subnetId) {
      ctx.addIssue({
        code: 'custom',
        path: ['launcher', 'spot'],
        message: 'Spot container groups cannot join a subnet; remove "subnetId" or set "spot": false',
      });
    }
  });

const pool = z.strictObject({
  name: z.string().trim().min(1, { error: 'must be the agent pool name as shown in Organization settings > Agent pools' }),
  profiles: z.array(profile).min(1, { error: 'list at least one agent profile for the pool' }),
});

const organization = z.strictObject({
  url: orgUrl,
  auth,
  /**
   * What upkeep manages the service hook subscription with (Build (Read) for a PAT). Not `auth`:
   * that one goes into every agent container. Default: the identity for managedIdentity, none for a PAT.
   */
  hooksAuth: auth.optional(),
  /** The self-hosted parallel jobs the organization pays for: agents beyond it would only idle. */
  maxParallelJobs: z
    .int()
    .min(1, { error: 'maxParallelJobs must be at least 1: the self-hosted parallel jobs of the organization (Organization settings > Parallel jobs)' })
    .optional(),
  pools: z.array(pool).min(1, { error: 'list at least one agent pool by name' }),
});

// Timer functions fire on an NCRONTAB schedule, which paces evenly only for these intervals.
const timerInterval = z.int().refine((s) => (s >= 10 && s <= 60 && 60 % s === 0) || (s > 60 && s <= 3600 && s % 60 === 0 && 3600 % s === 0), {
  error: 'intervalSeconds must divide a minute (10, 15, 20, 30, 60) or an hour in whole minutes (120, 300, 600, ...)',
});

const seconds = (what: string, example: number) =>
  z
    .int()
    .min(1, { error: `${what} must be at least 1 second, e.g. ${example}` })
    .max(86_400, { error: `${what} must be at most 86400 (a day)` });

const upkeep = z.strictObject({
  intervalSeconds: timerInterval.default(60),
  keepFinished: z
    .int()
    .min(0, { error: 'keepFinished must be 0 or more: how many finished agent containers per profile to keep for debugging' })
    .max(100, { error: "keepFinished must be at most 100 (finished ACI container groups count against the region's quota)" })
    .default(5),
  orphanGraceSeconds: seconds('orphanGraceSeconds (how long a new agent has to register before it counts as orphaned)', 300).default(300),
});

export const scalerConfigSchema = z
  .strictObject({
    organizations: z.array(organization).min(1, { error: 'list at least one organization' }),
    reconcile: z.strictObject({ intervalSeconds: timerInterval.default(60) }).prefault({}),
    upkeep: upkeep.prefault({}),
    scheduler: z
      .strictObject({
        idleGraceSeconds: seconds('idleGraceSeconds (how long an agent no waiting job needs may stay idle before it is stopped)', 30).default(30),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.organizations.forEach((o, i) => {
      const first = seen.get(o.url.key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['organizations', i, 'url'],
          message: `names the same organization as organizations[${first}]; merge their pools`,
        });
      }
      seen.set(o.url.key, i);
      duplicates(o.pools.map((p) => p.name.toLowerCase())).forEach((j) =>
        ctx.addIssue({ code: 'custom', path: ['organizations', i, 'pools', j, 'name'], message: 'pool listed twice; merge the two entries' }),
      );
      o.pools.forEach((p, j) =>
        duplicates(p.profiles.map((x) => x.name)).forEach((k) =>
          ctx.addIssue({
            code: 'custom',
            path: ['organizations', i, 'pools', j, 'profiles', k, 'name'],
            message: 'profile name used twice in this pool; rename one',
          }),
        ),
      );
    });
  });

function duplicates(names: string[]): number[] {
  return names.flatMap((n, i) => (names.indexOf(n) !== i ? [i] : []));
}

export type ScalerConfig = z.output<typeof scalerConfigSchema>;
export type OrganizationConfig = ScalerConfig['organizations'][number];
export type PoolConfig = OrganizationConfig['pools'][number];
export type ProfileConfig = PoolConfig['profiles'][number];
export type AuthConfig = OrganizationConfig['auth'];
export type UpkeepConfig = ScalerConfig['upkeep'];
export type StandbyWindowConfig = ProfileConfig['standby'][number];
