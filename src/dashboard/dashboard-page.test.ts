import { describe, expect, it } from 'vitest';
import type { AdoClient } from '../ado/ado-client';
import { parseConfig } from '../config/load-settings';
import type { Launcher } from '../launchers/launcher';
import { systemClock } from '../time/clock';
import { dashboardPage, DEFAULT_REFRESH_SECONDS, refreshSecondsOf } from './dashboard-page';
import { DASHBOARD_CSP } from './dashboard-style';

const config = parseConfig(
  {
    organizations: [
      {
        url: 'https://dev.azure.com/contoso',
        auth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
        pools: [
          {
            name: 'linux',
            profiles: [
              {
                name: 'p',
                image: 'i',
                maxAgents: 3,
                launcher: { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg', location: 'westeurope' },
              },
            ],
          },
        ],
      },
    ],
  },
  [],
);
if (!config) throw new Error('the test config does not parse');

describe('dashboardPage', () => {
  it('reads each pool once with enough finished requests for the timeline, and answers HTML under a strict policy', async () => {
    const asked: Array<[string, number | undefined]> = [];
    const ado = {
      poolId: () => Promise.resolve(7),
      jobRequests: (poolId: number, finished?: number) => {
        asked.push([`jobRequests ${poolId}`, finished]);
        return Promise.resolve([]);
      },
      agents: (poolId: number) => {
        asked.push([`agents ${poolId}`, undefined]);
        return Promise.resolve([]);
      },
    } as unknown as AdoClient;
    const launcher = { list: () => Promise.resolve([]) } as unknown as Launcher;
    const response = await dashboardPage(
      {
        config,
        ado: () => Promise.resolve(ado),
        launcher: () => Promise.resolve(launcher),
        hooks: () => Promise.resolve(undefined),
        webhookUsername: 'ado-hook',
        now: systemClock,
      },
      15,
    );
    expect(asked.sort()).toEqual([
      ['agents 7', undefined],
      ['jobRequests 7', 20],
    ]);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    expect(response.body).toContain('<meta http-equiv="refresh" content="15">');
    expect(response.body).toContain('not checked: no credential for service hooks');
  });
});

describe('refreshSecondsOf', () => {
  it('takes 0 for none and whole seconds within 5 s to an hour; anything else is the default', () => {
    expect([null, undefined, '', 'abc', '-5', '1.5', '99999999'].map(refreshSecondsOf)).toEqual(Array(7).fill(DEFAULT_REFRESH_SECONDS));
    expect(['0', '1', '10', ' 60 ', '7200'].map(refreshSecondsOf)).toEqual([0, 5, 10, 60, 3600]);
  });
});
