import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdoClient } from '../ado/ado-client';
import { fixedPatCredential } from '../ado/ado-credential';
import { JOB_STATE_EVENT } from '../ado/service-hooks';
import { parseConfig } from '../config/load-settings';
import type { ScalerConfig } from '../config/schema';
import { hookRecords } from '../log/telemetry-record';
import { Counters } from '../metrics/counters';
import { startAdoEmulator, type AdoEmulator } from '../../emulators/ado/ado-emulator';
import { checkHookHealth, type HookHealthDeps } from './hook-health';
import { Notices } from './notices';

const URL_OURS = 'https://scaler.azurewebsites.net/api/webhook';
const HOOKS_PAT = 'hooks-pat';
let ado: AdoEmulator;
let config: ScalerConfig;

beforeAll(async () => {
  ado = await startAdoEmulator({
    organizations: ['a', 'b', 'c'].map((name) => ({ name, pools: ['x'] })),
    tokens: [{ token: HOOKS_PAT, scopes: ['vso.build'] }],
  });
  const profile = { name: 'p', image: 'i', launcher: { kind: 'aksVirtualNode', apiServer: 'https://aks.example' } };
  const org = (name: string) => ({ url: ado.orgUrl(name), auth: { kind: 'managedIdentity' }, pools: [{ name: 'x', profiles: [profile] }] });
  config = parseConfig({ organizations: [org('a'), org('b'), org('c')] }, []) as ScalerConfig;
  // Organization a: ours on probation, ours disabled by a user, a staging one ADO disabled, a stranger's on probation.
  const subscribe = (url: string, username: string, status?: string) =>
    fetch(`${ado.orgUrl('a')}/_apis/hooks/subscriptions?api-version=7.1`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`:${HOOKS_PAT}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        publisherId: 'pipelines',
        eventType: JOB_STATE_EVENT,
        consumerId: 'webHooks',
        consumerActionId: 'httpRequest',
        ...(status ? { status } : {}),
        consumerInputs: { url, basicAuthUsername: username, basicAuthPassword: 'a-password-of-16+' },
      }),
    }).then(async (r) => ((await r.json()) as { id: string }).id);
  ids.ours = await subscribe(`${URL_OURS}/`, 'hook', 'onProbation');
  ids.paused = await subscribe(URL_OURS, 'hook', 'disabledByUser');
  ids.staging = await subscribe('https://staging.example/api/webhook', 'hook', 'disabledBySystem');
  ids.stranger = await subscribe('https://elsewhere.example', 'other', 'onProbation');
});

afterAll(() => ado?.close());

const ids: Record<'ours' | 'paused' | 'staging' | 'stranger', string> = { ours: '', paused: '', staging: '', stranger: '' };
const statusOf = (id: string) => ado.subscriptions('a').find((s) => s.id === id)?.status ?? 'enabled';

function deps(overrides: Partial<HookHealthDeps> = {}) {
  const lines: string[] = [];
  const log = { info: () => {}, warn: (m: unknown) => lines.push(`warn ${String(m)}`), error: (m: unknown) => lines.push(`error ${String(m)}`) };
  const hooks = (orgUrl: string) => Promise.resolve(createAdoClient({ orgUrl, credential: fixedPatCredential(HOOKS_PAT, 'the hooks PAT') }));
  const value: HookHealthDeps = { config, hooks, counters: new Counters(), log, notices: new Notices(), webhookPassword: 'the-webhook-password', ...overrides };
  return { lines, deps: value };
}

describe('checkHookHealth', () => {
  it('by WEBHOOK_URL: re-enables ours ADO disabled, not one a user disabled, not others; one failing org does not stop the rest', async () => {
    // Organization b answers the listing with 500 (a transient failure).
    ado.injectFault({ status: 500, count: 1, pathContains: '/b/_apis/hooks' });
    const { lines, deps: d } = deps({ webhookUrl: URL_OURS, webhookUsername: 'hook' });
    const report = await checkHookHealth(d);
    expect(statusOf(ids.ours)).toBe('enabled');
    expect([statusOf(ids.paused), statusOf(ids.staging), statusOf(ids.stranger)]).toEqual(['disabledByUser', 'disabledBySystem', 'onProbation']);
    expect(d.counters.get('hookReenabled')).toBe(1);
    const { errors, organizations, ...rest } = report;
    expect(rest).toEqual({
      subscriptions: 2,
      reenabled: [{ orgUrl: ado.orgUrl('a'), id: ids.ours, previousStatus: 'onProbation', probationRetries: 0 }],
      missing: [ado.orgUrl('c')],
      skipped: [],
    });
    expect(errors.map((e) => e.orgUrl)).toEqual([ado.orgUrl('b')]);
    expect(errors[0]!.error).toMatch(/Azure DevOps failed the service hook subscription listing \(500\)/);
    // What upkeep's telemetry says per organization: a's paused one stays disabled, b could not be listed, c has none.
    expect(organizations.map((o) => [o.orgUrl, o.subscriptions, o.error !== undefined])).toEqual([
      [
        ado.orgUrl('a'),
        [
          { id: ids.ours, status: 'onProbation', reenabled: true },
          { id: ids.paused, status: 'disabledByUser', reenabled: false },
        ],
        false,
      ],
      [ado.orgUrl('b'), undefined, true],
      [ado.orgUrl('c'), [], false],
    ]);
    expect(hookRecords(organizations).map((r) => [r.status, r.enabled, r.reenabled])).toEqual([
      ['disabledByUser', false, 1],
      ['error', null, 0],
      ['none', false, 0],
    ]);
    // Organizations are checked in parallel, so their lines interleave.
    expect(lines).toHaveLength(4);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^warn .*subscription ${ids.paused} in .*/a was disabled by a user`)),
        expect.stringMatching(new RegExp(`^warn .*re-enabled subscription ${ids.ours} in .*/a .*onProbation after 0 failed probation retries`)),
        expect.stringMatching(/^error .*\/b: Azure DevOps failed/),
        expect.stringMatching(/^warn .*no service hook subscription in .*\/c .*hook:create/),
      ]),
    );

    // A second run repeats nothing that lasts (the paused subscription, c without one); b, listed
    // now, is new.
    lines.length = 0;
    await checkHookHealth(d);
    expect(lines).toEqual([expect.stringMatching(/^warn .*no service hook subscription in .*\/b /)]);
  });

  it('by user name when WEBHOOK_URL is not set; nothing at all without either', async () => {
    const byName = deps({ webhookUsername: 'hook' });
    const report = await checkHookHealth(byName.deps);
    expect(report.reenabled.map((r) => r.id)).toEqual([ids.staging]);
    expect(statusOf(ids.staging)).toBe('enabled');

    const neither = deps();
    const mark = ado.requests().length;
    expect(await checkHookHealth(neither.deps)).toMatchObject({ subscriptions: 0 });
    expect(ado.requests().slice(mark)).toEqual([]);
    expect(neither.lines).toEqual([expect.stringContaining('neither WEBHOOK_URL nor WEBHOOK_USERNAME')]);
  });
});
