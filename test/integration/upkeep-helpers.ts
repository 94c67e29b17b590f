import { EMULATOR_PAT } from '../emulators/emulator-stack';
import type { Scaler } from './scaler-harness';

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
