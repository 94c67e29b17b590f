import { describe, expect, it } from 'vitest';
import { MissingScopeError, SERVICE_HOOKS_SCOPE } from '../ado/ado-scopes';
import type { HookSubscription } from '../ado/service-hooks';
import { parseConfig } from '../config/load-settings';
import { hookStatus, hookStatusOf } from './hook-status';

const WEBHOOK = 'https://scaler.example/api/webhook';
const sub = (id: string, status?: string, more: Partial<HookSubscription> = {}): HookSubscription => ({
  id,
  ...(status ? { status } : {}),
  consumerInputs: { url: WEBHOOK, basicAuthUsername: 'ado-hook' },
  ...more,
});
const config = parseConfig(
  {
    organizations: ['contoso', 'fabrikam', 'tailspin', 'adatum'].map((name) => ({
      url: `https://dev.azure.com/${name}`,
      auth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
      pools: [
        {
          name: 'linux',
          profiles: [
            {
              name: 'p',
              image: 'i',
              launcher: { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg', location: 'westeurope' },
            },
          ],
        },
      ],
    })),
  },
  [],
)!;

describe('hookStatusOf', () => {
  it('is ok while every subscription of ours is enabled', () => {
    expect(hookStatusOf('o', [sub('a')])).toEqual({ orgUrl: 'o', tone: 'ok', summary: 'enabled', subscriptions: [{ id: 'a', status: 'enabled' }] });
    expect(hookStatusOf('o', [sub('a'), sub('b')]).summary).toBe('2 subscriptions, all enabled');
  });

  it('warns of probation and of a user who disabled it, and is an error when ADO disabled it or none exists', () => {
    expect(hookStatusOf('o', [sub('a', 'onProbation', { probationRetries: 2 })])).toMatchObject({
      tone: 'warning',
      summary: 'on probation after 2 failed probation retries: ADO drops events meanwhile; upkeep enables it again at its next run',
      subscriptions: [{ id: 'a', status: 'onProbation', probationRetries: 2 }],
    });
    expect(hookStatusOf('o', [sub('a', 'disabledByUser')])).toMatchObject({
      tone: 'warning',
      summary: expect.stringContaining('disabled by a user') as unknown,
    });
    expect(hookStatusOf('o', [sub('a', 'onProbation'), sub('b', 'disabledBySystem')])).toMatchObject({
      tone: 'error',
      summary: expect.stringMatching(/^disabledBySystem: /) as unknown,
    });
    expect(hookStatusOf('o', [])).toMatchObject({ tone: 'error', summary: expect.stringContaining('npm run hook:create') as unknown });
  });
});

describe('hookStatus', () => {
  it('reads each organization with its hooks credential, keeps only our subscriptions, and says why one was not read', async () => {
    const calls: string[] = [];
    const statuses = await hookStatus({
      config,
      webhookUrl: WEBHOOK,
      hooks: (orgUrl) => {
        calls.push(orgUrl);
        if (orgUrl.endsWith('fabrikam')) return Promise.resolve(undefined);
        return Promise.resolve({
          jobStateSubscriptions: () => {
            if (orgUrl.endsWith('tailspin')) return Promise.reject(new MissingScopeError('the listing', SERVICE_HOOKS_SCOPE, undefined));
            if (orgUrl.endsWith('adatum')) return Promise.reject(new Error('ADO answered 500'));
            return Promise.resolve([sub('ours'), sub('theirs', 'disabledBySystem', { consumerInputs: { url: 'https://elsewhere.example/hook' } })]);
          },
        });
      },
    });
    expect(calls).toHaveLength(4);
    expect(statuses.map((s) => [s.orgUrl.split('/').at(-1), s.tone, s.summary])).toEqual([
      ['contoso', 'ok', 'enabled'],
      ['fabrikam', 'unknown', 'not checked: no credential for service hooks (hooksAuth) is configured'],
      ['tailspin', 'unknown', 'not checked: the credential for service hooks lacks the scope Build (Read)'],
      ['adatum', 'error', 'could not be read: ADO answered 500'],
    ]);
  });

  it('reads nothing when our subscription cannot be told apart', async () => {
    const statuses = await hookStatus({ config, hooks: () => Promise.reject(new Error('not called')) });
    expect(statuses.every((s) => s.tone === 'unknown' && s.summary.includes('WEBHOOK_URL'))).toBe(true);
  });
});
