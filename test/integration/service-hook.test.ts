import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as hookCreate } from '../../scripts/hook-create';
import { JOB_STATE_EVENT } from '../../src/ado/service-hooks';
import { dependencies } from '../../src/runtime/dependencies';
import { checkHookHealth } from '../../src/upkeep/hook-health';
import { EMULATOR_ADMIN_PAT, EMULATOR_HOOKS_PAT, EMULATOR_PAT } from '../../scripts/local-stack/emulator-stack';
import { runCli } from './cli-runner';
import { configWithPools, startScaler, WEBHOOK_PASSWORD, WEBHOOK_USERNAME, type Scaler } from './scaler-harness';
import { startGateway, type Gateway } from './webhook-gateway';

let scaler: Scaler;
let gateway: Gateway;
let orgUrl: string;
let projectId: string;
/** What the README asks of the PAT `hook:create` runs with: Build (Read) and Project and Team (Read). */
const HOOK_CREATE_PAT = 'hook-create-pat-build-project';
const env = { AZURE_DEVOPS_EXT_PAT: HOOK_CREATE_PAT, WEBHOOK_USERNAME, WEBHOOK_PASSWORD };
const secrets = new RegExp(`${WEBHOOK_PASSWORD}|${EMULATOR_PAT}|${EMULATOR_HOOKS_PAT}|${HOOK_CREATE_PAT}`);
const base = configWithPools(['linux']);
/** The organization with a PAT for service hooks in Key Vault, as the README sets it up. */
const config = {
  organizations: [{ ...base.organizations[0]!, hooksAuth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-hooks-pat' } }],
};

beforeAll(async () => {
  scaler = await startScaler({
    config,
    subscribe: false,
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/status.js');
    },
  });
  gateway = await startGateway(scaler.webhookUrl);
  scaler.stack.ado.addToken(HOOK_CREATE_PAT, 'pat', ['vso.build', 'vso.project']);
  orgUrl = scaler.stack.ado.orgUrl('contoso');
  projectId = scaler.stack.ado.organizations()[0]!.projects[0]!.id;
});

afterAll(async () => {
  await gateway?.close();
  await scaler?.close();
});

/** A REST call as a user makes it with their own full-access PAT (curl); answers the JSON body, if any. */
async function adoRequest(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${orgUrl}/${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`:${EMULATOR_ADMIN_PAT}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

const ours = () => scaler.stack.ado.subscriptions('contoso').filter((s) => (s.consumerInputs as Record<string, string>).url === gateway.url);

describe('hook:create', () => {
  it('creates the subscription once, and a second run updates that one', async () => {
    const args = ['--org', `${orgUrl}/`, '--project', 'PROJECT', '--url', gateway.url];
    const first = await runCli(hookCreate, args, { env });
    expect(first).toMatchObject({ code: 0, err: '' });
    const id = /^created service hook subscription ([0-9a-f-]{36}) in /.exec(first.out)?.[1];
    expect(id).toBeDefined();
    expect(first.out).toContain(`job state events (waiting, running, completed) of project "PROJECT" go to ${gateway.url}`);

    // The password typed (piped) rather than in the environment.
    const second = await runCli(hookCreate, args, { env: { ...env, WEBHOOK_PASSWORD: undefined }, stdin: `${WEBHOOK_PASSWORD}\n` });
    expect(second.code).toBe(0);
    expect(second.out).toMatch(new RegExp(`^updated service hook subscription ${id} in `));

    expect(ours()).toHaveLength(1);
    expect(ours()[0]).toMatchObject({
      id,
      publisherId: 'pipelines',
      eventType: JOB_STATE_EVENT,
      consumerId: 'webHooks',
      publisherInputs: { projectId },
      consumerInputs: { url: gateway.url, basicAuthUsername: WEBHOOK_USERNAME, basicAuthPassword: '********' },
    });
    // No job state filter: waiting, running and completed all reach the webhook.
    expect(ours()[0]!.publisherInputs).not.toHaveProperty('jobStateId');
    expect(ours()[0]).not.toHaveProperty('status');
    for (const run of [first, second]) expect(`${run.out}${run.err}`).not.toMatch(secrets);

    // ADO's deliveries of every state now reach the webhook with credentials it accepts.
    const job = scaler.stack.ado.queueJob({ pool: 'linux' });
    await scaler.stack.ado.deliveriesSettled();
    scaler.stack.ado.cancelJob(job.requestId);
    await scaler.stack.ado.deliveriesSettled();
    expect(
      scaler.stack.ado
        .deliveries()
        .filter((d) => d.jobId === job.jobId)
        .map((d) => [d.jobState, d.status, d.outcome]),
    ).toEqual([
      ['waiting', 202, 'delivered'],
      ['completed', 202, 'delivered'],
    ]);
    expect((await scaler.consumeSignals()).map((s) => [s.pool, s.jobId])).toContainEqual(['linux', job.jobId]);
  });

  it('brings a subscription that sends only waiting events, as earlier versions made it, in line: every state afterwards', async () => {
    const { ado } = scaler.stack;
    const legacyUrl = `${gateway.url}-v1`;
    const legacy = () => ado.subscriptions('contoso').filter((s) => (s.consumerInputs as Record<string, string>).url === legacyUrl);
    const created = await adoRequest('POST', '_apis/hooks/subscriptions?api-version=7.1', {
      publisherId: 'pipelines',
      eventType: JOB_STATE_EVENT,
      resourceVersion: '5.1-preview.1',
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      publisherInputs: { jobStateId: 'Waiting', projectId },
      consumerInputs: { url: legacyUrl, basicAuthUsername: WEBHOOK_USERNAME, basicAuthPassword: WEBHOOK_PASSWORD },
    });
    const id = (created as { id: string }).id;
    /** The states of a job (queued, then cancelled) that reached the old subscription's URL. */
    const statesDelivered = async () => {
      const job = ado.queueJob({ pool: 'linux' });
      await ado.deliveriesSettled();
      ado.cancelJob(job.requestId);
      await ado.deliveriesSettled();
      return ado
        .deliveries()
        .filter((d) => d.jobId === job.jobId && d.url === legacyUrl)
        .map((d) => [d.jobState, d.status]);
    };
    try {
      expect(await statesDelivered(), 'before the update').toEqual([['waiting', 202]]);

      const run = await runCli(hookCreate, ['--org', orgUrl, '--project', 'project', '--url', legacyUrl], { env });
      expect(run).toMatchObject({ code: 0, err: '' });
      expect(run.out).toMatch(new RegExp(`^updated service hook subscription ${id} in `));
      expect(legacy()).toHaveLength(1);
      expect(legacy()[0]).toMatchObject({ id, publisherInputs: { projectId } });
      expect(legacy()[0]!.publisherInputs).not.toHaveProperty('jobStateId');

      expect(await statesDelivered(), 'after the update').toEqual([
        ['waiting', 202],
        ['completed', 202],
      ]);
    } finally {
      await adoRequest('DELETE', `_apis/hooks/subscriptions/${id}?api-version=7.1`);
      await scaler.consumeSignals();
    }
  });

  it('--dry-run only reads, and prints the request it would send with the password masked', async () => {
    const before = scaler.stack.ado.subscriptions('contoso');
    const mark = scaler.stack.ado.requests().length;
    const dry = await runCli(hookCreate, ['--org', orgUrl, '--project', 'project', '--url', `${gateway.url}/other`, '--dry-run'], { env });
    const update = await runCli(hookCreate, ['--org', orgUrl, '--project', 'project', '--url', gateway.url, '--dry-run'], { env });

    expect(dry.code).toBe(0);
    expect(dry.out).toContain('dry run: nothing was written');
    expect(dry.out).toContain(`POST ${orgUrl}/_apis/hooks/subscriptions?api-version=7.1`);
    expect(dry.out).toContain('"basicAuthPassword": "********"');
    expect(dry.out).toContain(`"projectId": "${projectId}"`);
    expect(dry.out).not.toContain('jobStateId');
    expect(update.out).toContain(`PUT ${orgUrl}/_apis/hooks/subscriptions/${ours()[0]!.id as string}?api-version=7.1`);
    for (const run of [dry, update]) expect(`${run.out}${run.err}`).not.toMatch(secrets);
    const writes = scaler.stack.ado
      .requests()
      .slice(mark)
      .filter((r) => r.method !== 'GET' && r.method !== 'OPTIONS');
    expect(writes).toEqual([]);
    expect(scaler.stack.ado.subscriptions('contoso')).toEqual(before);
  });

  it('refuses a project that does not exist, a password the webhook would refuse and a PAT without the scopes, writing nothing', async () => {
    const base = ['--org', orgUrl, '--url', gateway.url];
    const noProject = await runCli(hookCreate, [...base, '--project', 'nope'], { env });
    expect(noProject.code).toBe(1);
    expect(noProject.err).toContain('Project "nope" was not found');
    const short = await runCli(hookCreate, [...base, '--project', 'project'], { env: { ...env, WEBHOOK_PASSWORD: 'short' } });
    expect(short.code).toBe(1);
    expect(short.err).toContain('shorter than 16 characters');
    // The pool PAT: ADO refuses it the project with a 401, which is a missing scope, not a revoked PAT.
    const poolPat = await runCli(hookCreate, [...base, '--project', 'project'], { env: { ...env, AZURE_DEVOPS_EXT_PAT: EMULATOR_PAT } });
    expect(poolPat.code).toBe(1);
    expect(poolPat.err).toMatch(/lacks the scope Project and Team \(Read\) \(vso\.project\)/);
    expect(poolPat.err).not.toMatch(/revoked|expired/);
    expect(poolPat.err).not.toMatch(secrets);
    expect(ours()).toHaveLength(1);
  });
});

describe('service hook health', () => {
  it('re-enables our subscription ADO put on probation, with a warning and a counter, and leaves others alone', async () => {
    const { ado } = scaler.stack;
    // Someone else's subscription to an address that refuses connections: probation too.
    await adoRequest('POST', '_apis/hooks/subscriptions?api-version=7.1', {
      publisherId: 'pipelines',
      eventType: JOB_STATE_EVENT,
      consumerId: 'webHooks',
      consumerActionId: 'httpRequest',
      publisherInputs: { jobStateId: 'Waiting' },
      consumerInputs: { url: 'http://127.0.0.1:1/hook', basicAuthUsername: 'someone-else', basicAuthPassword: 'their-password-123' },
    });
    // The front door answers 500 once (a bad deployment, say): ADO does not retry a 500.
    gateway.failNext(1);
    const lost = ado.queueJob({ pool: 'linux' });
    await ado.deliveriesSettled();
    expect(ours()[0]).toMatchObject({ status: 'onProbation' });
    expect(
      ado
        .deliveries()
        .filter((d) => d.jobId === lost.jobId && d.url === gateway.url)
        .map((d) => [d.status, d.outcome]),
    ).toEqual([[500, 'probation']]);
    const dropped = ado.queueJob({ pool: 'linux' });
    await ado.deliveriesSettled();
    expect(
      ado
        .deliveries()
        .filter((d) => d.jobId === dropped.jobId && d.url === gateway.url)
        .map((d) => d.outcome),
    ).toEqual(['dropped']);

    const deps = dependencies();
    const warnings: string[] = [];
    const log = { info: () => {}, warn: (m: unknown) => warnings.push(String(m)), error: (m: unknown) => warnings.push(String(m)) };
    const health = () =>
      checkHookHealth({
        config: deps.settings.config,
        hooks: (u) => deps.adoHooks(u),
        counters: deps.counters,
        log,
        webhookUrl: gateway.url,
        webhookUsername: WEBHOOK_USERNAME,
        webhookPassword: WEBHOOK_PASSWORD,
      });
    const report = await health();

    const id = ours()[0]!.id as string;
    expect(report).toMatchObject({ subscriptions: 1, reenabled: [{ orgUrl, id, previousStatus: 'onProbation' }], missing: [], errors: [] });
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`re-enabled subscription ${id} in ${orgUrl} .*onProbation`))]);
    expect(ours()[0]).not.toHaveProperty('status');
    expect((await scaler.status()).counters.hookReenabled).toBe(1);
    const foreign = ado.subscriptions('contoso').find((s) => (s.consumerInputs as Record<string, string>).basicAuthUsername === 'someone-else');
    expect(foreign).toMatchObject({ status: 'onProbation' });
    // Re-enabled with the webhook's password, not the mask ADO listed: the next job's event gets through.
    const next = ado.queueJob({ pool: 'linux' });
    await ado.deliveriesSettled();
    expect(
      ado
        .deliveries()
        .filter((d) => d.jobId === next.jobId && d.url === gateway.url)
        .map((d) => [d.status, d.outcome]),
    ).toEqual([[202, 'delivered']]);
    expect((await scaler.consumeSignals()).map((s) => s.jobId)).toContain(next.jobId);

    // A healthy subscription is left as it is; matching by user name finds the same one.
    const again = await checkHookHealth({
      config: deps.settings.config,
      hooks: (u) => deps.adoHooks(u),
      counters: deps.counters,
      log,
      webhookUsername: WEBHOOK_USERNAME,
      webhookPassword: WEBHOOK_PASSWORD,
    });
    expect(again).toMatchObject({ subscriptions: 1, reenabled: [] });
    expect(deps.counters.get('hookReenabled')).toBe(1);
  });
});
