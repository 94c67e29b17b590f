import { describe, expect, it } from 'vitest';
import type { AdoClient } from '../ado/ado-client';
import { JOB_STATE_EVENT, type HookSubscription } from '../ado/service-hooks';
import { parseConfig } from '../config/load-settings';
import type { ScalerConfig } from '../config/schema';
import { Counters } from '../status/counters';
import { checkHookHealth } from './hook-health';

const profile = { name: 'p', image: 'i', launcher: { kind: 'aksVirtualNode', apiServer: 'https://aks.example' } };
const org = (name: string) => ({ url: `https://dev.azure.com/${name}`, auth: { kind: 'managedIdentity' }, pools: [{ name: 'x', profiles: [profile] }] });
const config = parseConfig({ organizations: [org('a'), org('b'), org('c')] }, []) as ScalerConfig;
const URL_OURS = 'https://scaler.azurewebsites.net/api/webhook';

const sub = (id: string, url: string, username: string, status?: string): HookSubscription => ({
  id,
  eventType: JOB_STATE_EVENT,
  consumerId: 'webHooks',
  ...(status ? { status } : {}),
  consumerInputs: { url, basicAuthUsername: username, basicAuthPassword: '********' },
});

/** Organization a: ours on probation, ours disabled by a user, a stranger's on probation; b: fails; c: none. */
function fakeAdo() {
  const enabled: string[] = [];
  const lists: Record<string, HookSubscription[]> = {
    'https://dev.azure.com/a': [
      sub('ours', `${URL_OURS}/`, 'hook', 'onProbation'),
      sub('paused', URL_OURS, 'hook', 'disabledByUser'),
      sub('staging', 'https://staging.example/api/webhook', 'hook', 'disabledBySystem'),
      sub('stranger', 'https://elsewhere.example', 'other', 'onProbation'),
    ],
    'https://dev.azure.com/c': [],
  };
  const ado = (orgUrl: string): Promise<AdoClient> =>
    Promise.resolve({
      jobStateSubscriptions: () => (lists[orgUrl] ? Promise.resolve(lists[orgUrl]) : Promise.reject(new Error('Azure DevOps throttled the listing'))),
      enableSubscription: (s: HookSubscription) => {
        enabled.push(s.id);
        return Promise.resolve();
      },
    } as unknown as AdoClient);
  return { ado, enabled };
}

function logger() {
  const lines: string[] = [];
  return { lines, log: { info: () => {}, warn: (m: unknown) => lines.push(`warn ${String(m)}`), error: (m: unknown) => lines.push(`error ${String(m)}`) } };
}

describe('checkHookHealth', () => {
  it('by WEBHOOK_URL: re-enables ours ADO disabled, not one a user disabled, not others; one failing org does not stop the rest', async () => {
    const { ado, enabled } = fakeAdo();
    const { lines, log } = logger();
    const counters = new Counters();
    const report = await checkHookHealth({ config, ado, counters, log, webhookUrl: URL_OURS, webhookUsername: 'hook' });
    expect(enabled).toEqual(['ours']);
    expect(counters.get('hookReenabled')).toBe(1);
    expect(report).toEqual({
      subscriptions: 2,
      reenabled: [{ orgUrl: 'https://dev.azure.com/a', id: 'ours', previousStatus: 'onProbation' }],
      missing: ['https://dev.azure.com/c'],
      errors: [{ orgUrl: 'https://dev.azure.com/b', error: 'Azure DevOps throttled the listing' }],
    });
    // Organizations are checked in parallel, so their lines interleave.
    expect(lines).toHaveLength(4);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^warn .*subscription paused in https:\/\/dev\.azure\.com\/a was disabled by a user/),
      expect.stringMatching(/^warn .*re-enabled subscription ours in https:\/\/dev\.azure\.com\/a .*onProbation/),
      expect.stringMatching(/^error .*https:\/\/dev\.azure\.com\/b: Azure DevOps throttled/),
      expect.stringMatching(/^warn .*no service hook subscription in https:\/\/dev\.azure\.com\/c .*hook:create/),
    ]));
  });

  it('by user name when WEBHOOK_URL is not set; nothing at all without either', async () => {
    const byName = fakeAdo();
    await checkHookHealth({ config, ado: byName.ado, counters: new Counters(), log: logger().log, webhookUsername: 'hook' });
    expect(byName.enabled).toEqual(['ours', 'staging']);

    const neither = fakeAdo();
    const { lines, log } = logger();
    expect(await checkHookHealth({ config, ado: neither.ado, counters: new Counters(), log })).toMatchObject({ subscriptions: 0 });
    expect(neither.enabled).toEqual([]);
    expect(lines).toEqual([expect.stringContaining('neither WEBHOOK_URL nor WEBHOOK_USERNAME')]);
  });
});
