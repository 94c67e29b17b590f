import { getPersonalAccessTokenHandler, WebApi } from 'azure-devops-node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_EVENT_TYPE, startAdoEmulator, type AdoEmulator } from './ado-emulator';

const ORG = 'fabrikam';
let ado: AdoEmulator;

beforeAll(async () => {
  ado = await startAdoEmulator({
    organizations: [{ name: ORG, pools: ['linux'], projects: ['web'] }],
    tokens: [
      'full-access',
      { token: 'pools-pat', scopes: ['vso.agentpools_manage'] },
      { token: 'pools-read-pat', scopes: ['vso.agentpools'] },
      { token: 'build-pat', scopes: ['vso.build'] },
    ],
  });
});

afterAll(() => ado?.close());

/** A raw call with the PAT, as curl makes it: status and body. */
async function call(pat: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${ado.orgUrl(ORG)}/_apis/${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`:${pat}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const subscription = {
  publisherId: 'pipelines',
  eventType: JOB_EVENT_TYPE,
  consumerId: 'webHooks',
  consumerActionId: 'httpRequest',
  consumerInputs: { url: 'http://127.0.0.1:9/hook' },
};

describe('PAT scopes', () => {
  it('an Agent Pools (Read & manage) PAT manages agents and reads job requests, through the real client', async () => {
    const api = await new WebApi(ado.orgUrl(ORG), getPersonalAccessTokenHandler('pools-pat')).getTaskAgentApi();
    const [pool] = await api.getAgentPools('linux');
    const agent = await api.addAgent({ name: 'agent-1', version: '4.255.0' }, pool!.id!);
    expect((await api.getAgents(pool!.id!)).map((a) => a.name)).toEqual(['agent-1']);
    expect((await call('pools-pat', 'GET', `distributedtask/pools/${pool!.id}/jobrequests?completedRequestCount=0`)).status).toBe(200);
    await api.deleteAgent(pool!.id!, agent.id!);
  });

  it('refuses what the scopes do not cover with 401 and TF400813 naming the user: hooks and projects to the pool PAT, writes to a read-only one', async () => {
    const hooks = await call('pools-pat', 'GET', 'hooks/subscriptions');
    expect(hooks.status).toBe(401);
    expect(hooks.json.typeKey).toBe('UnauthorizedRequestException');
    expect(hooks.json.message).toMatch(/^TF400813: The user '[0-9a-f-]{36}' is not authorized to access this resource\.$/);
    expect((await call('pools-pat', 'POST', 'hooks/subscriptions', subscription)).status).toBe(401);
    expect((await call('pools-pat', 'GET', 'projects/web')).status).toBe(401);
    expect((await call('pools-read-pat', 'GET', `distributedtask/pools?poolName=linux`)).status).toBe(200);
    expect((await call('pools-read-pat', 'POST', `distributedtask/pools/${ado.poolId(ORG, 'linux')}/agents`, { name: 'x', version: '4.255.0' })).status).toBe(
      401,
    );
    // A bad PAT names no user: that is how the two 401s differ.
    expect((await call('not-a-pat', 'GET', 'hooks/subscriptions')).json.message).toBe("TF400813: The user '' is not authorized to access this resource.");
  });

  it('accepts any valid PAT for the location calls clients make first (connectionData, ResourceAreas, OPTIONS)', async () => {
    const data = await call('pools-pat', 'GET', 'connectionData');
    expect(data.status).toBe(200);
    expect((data.json.authenticatedUser as { id?: unknown }).id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('build-pat', 'GET', 'ResourceAreas')).status).toBe(200);
    expect((await call('build-pat', 'OPTIONS', 'hooks')).status).toBe(200);
    expect((await call('not-a-pat', 'GET', 'connectionData')).status).toBe(401);
  });

  it('Build (Read) manages service hook subscriptions; a full-access PAT does everything; admin tokens take scopes too', async () => {
    const created = await call('build-pat', 'POST', 'hooks/subscriptions', subscription);
    expect(created.status).toBe(200);
    expect((await call('build-pat', 'DELETE', `hooks/subscriptions/${created.json.id as string}`)).status).toBe(204);
    expect((await call('build-pat', 'GET', 'distributedtask/pools')).status).toBe(401);
    for (const path of ['hooks/subscriptions', 'projects', 'distributedtask/pools']) expect((await call('full-access', 'GET', path)).status).toBe(200);

    const added = await fetch(`${ado.url}/_admin/tokens`, { method: 'POST', body: JSON.stringify({ token: 'project-pat', scopes: ['vso.project'] }) });
    expect(added.status).toBe(204);
    expect((await call('project-pat', 'GET', 'projects/web')).status).toBe(200);
    expect((await call('project-pat', 'GET', 'hooks/subscriptions')).status).toBe(401);
  });
});
