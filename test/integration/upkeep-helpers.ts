import { odata, TableClient } from '@azure/data-tables';
import type { ProfileConfig } from '../../src/config/schema';
import { profileAgentName } from '../../src/launchers/agent-name';
import { agentJob, agentLabels } from '../../src/launchers/aks/aks-manifest';
import type { Launcher } from '../../src/launchers/launcher';
import { dependencies } from '../../src/runtime/dependencies';
import { runUpkeep as runUpkeepNow, type UpkeepDeps, type UpkeepResult } from '../../src/upkeep/run-upkeep';
import { markScope, UPKEEP_TABLE } from '../../src/upkeep/upkeep-marks';
import { EMULATOR_PAT } from '../../scripts/local-stack/emulator-stack';
import type { LogLine, Scaler } from './scaler-harness';

/** An agent registration as ADO's REST API answers it (includeCapabilities, includeAssignedRequest). */
export interface RestAgent {
  id: number;
  name: string;
  status: string;
  enabled: boolean;
  version: string;
  systemCapabilities?: Record<string, string>;
  assignedRequest?: { requestId: number };
}

/** The ADO REST calls a user would make by hand (curl with the PAT) to see or change a pool's agents. */
export function adoRest(scaler: Scaler, org = 'contoso') {
  const orgUrl = scaler.stack.ado.orgUrl(org);
  const headers = { authorization: `Basic ${Buffer.from(`:${EMULATOR_PAT}`).toString('base64')}`, 'content-type': 'application/json' };
  const agentsUrl = (pool: string) => `${orgUrl}/_apis/distributedtask/pools/${scaler.stack.ado.poolId(org, pool)}/agents`;
  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
    return response.status === 204 ? undefined : await response.json();
  };
  return {
    orgUrl,
    async agents(pool: string): Promise<RestAgent[]> {
      const list = (await call('GET', `${agentsUrl(pool)}?includeCapabilities=true&includeAssignedRequest=true`)) as { value: RestAgent[] };
      return list.value;
    },
    async agent(pool: string, name: string): Promise<RestAgent | undefined> {
      return (await this.agents(pool)).find((a) => a.name === name);
    },
    register: async (pool: string, agent: Record<string, unknown>) => (await call('POST', agentsUrl(pool), agent)) as RestAgent,
    replace: async (pool: string, id: number, agent: Record<string, unknown>) => call('PUT', `${agentsUrl(pool)}/${id}`, { ...agent, id }),
    remove: async (pool: string, id: number) => call('DELETE', `${agentsUrl(pool)}/${id}`),
  };
}

/** Runs the upkeep timer function now, through the local host, as the portal's "Run" would. */
export function runUpkeep(scaler: Scaler): Promise<void> {
  return scaler.host.timers.run('upkeep');
}

/**
 * One upkeep run as the timer makes it, with the app's own dependencies, but judged `offsetMs`
 * later than now: a grace passes without the test sleeping through it. Its log lines go to `lines`.
 */
export async function runUpkeepLater(offsetMs: number, lines: LogLine[], overrides: Partial<UpkeepDeps> = {}): Promise<UpkeepResult> {
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      void lines.push({ level, functionName: 'upkeep', message: args.map(String).join(' ') });
  return runUpkeepNow({
    ...(await dependencies().upkeep()),
    log: { info: log('info'), warn: log('warn'), error: log('error') },
    now: () => Date.now() + offsetMs,
    ...overrides,
  });
}

/** The configured organization's profile, as the app parsed it. */
export function profileOf(pool: string, profile: string): ProfileConfig {
  const found = dependencies()
    .settings.config.organizations[0]!.pools.find((p) => p.name === pool)
    ?.profiles.find((p) => p.name === profile);
  if (!found) throw new Error(`no profile ${profile} in pool ${pool}`);
  return found;
}

/** The launcher the scheduler (and upkeep) use for the profile. */
export async function launcherOf(pool: string, profile: string): Promise<Launcher> {
  return (await dependencies().scheduler()).launcher(profileOf(pool, profile));
}

/** Starts one agent of the profile through the scheduler's launcher, named as the scheduler names it; answers its name. */
export async function startAgent(pool: string, profile: string): Promise<string> {
  const org = dependencies().settings.config.organizations[0]!;
  const scheduler = await dependencies().scheduler();
  const spec = {
    name: profileAgentName(org.url.url, pool, profile),
    orgUrl: org.url.url,
    pool,
    profile: profileOf(pool, profile),
    pat: await scheduler.agentToken(org),
  };
  const started = await (await scheduler.launcher(spec.profile)).start(spec);
  if (started.outcome !== 'created') throw new Error(`agent ${spec.name} was not created: ${started.outcome}`);
  return spec.name;
}

/**
 * Creates, in the profile's namespace, the Job the AKS launcher writes for a new agent, but
 * without the Secret that holds its token: its pod never starts, so its agent never registers
 * (as with an image that cannot start). Answers the agent's name.
 */
export async function startUnregisteringAgent(scaler: Scaler, pool: string, profile: string): Promise<string> {
  const config = profileOf(pool, profile);
  if (config.launcher.kind !== 'aksVirtualNode') throw new Error(`profile ${profile} does not run on AKS`);
  const org = dependencies().settings.config.organizations[0]!;
  const spec = { name: profileAgentName(org.url.url, pool, profile), orgUrl: org.url.url, pool, profile: config, pat: 'unused' };
  const token = await (await dependencies().azureCredential()).getToken('6dae42f8-4368-4678-94ff-3960e28e3630/.default');
  const created = await fetch(`${scaler.stack.kubernetes.url}/apis/batch/v1/namespaces/${config.launcher.namespace}/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token?.token ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(agentJob(spec, config.launcher.virtualNode, agentLabels(spec, new Date()))),
  });
  if (created.status !== 201) throw new Error(`creating Job ${spec.name} answered ${created.status}: ${await created.text()}`);
  return spec.name;
}

/** The marks upkeep keeps for a profile, read from its table as stored (kind and agent name per entity). */
export async function storedMarks(scaler: Scaler, pool: string, profile: string): Promise<Array<{ kind: string; name: string }>> {
  const org = dependencies().settings.config.organizations[0]!;
  const table = TableClient.fromConnectionString(scaler.stack.storage.connectionString, UPKEEP_TABLE, { allowInsecureConnection: true });
  const marks: Array<{ kind: string; name: string }> = [];
  try {
    const filter = odata`PartitionKey eq ${markScope(org.url.key, pool, profile)}`;
    for await (const e of table.listEntities<{ kind: string; name: string }>({ queryOptions: { filter } })) marks.push({ kind: e.kind, name: e.name });
  } catch (e) {
    // The table is created at the first mark upkeep writes.
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
  }
  return marks;
}
