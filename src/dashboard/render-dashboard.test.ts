import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobRequest } from '../ado/job-requests';
import { parseConfig } from '../config/load-settings';
import type { FleetSnapshot } from '../status/fleet-snapshot';
import { DASHBOARD_CSP } from './dashboard-style';
import { renderDashboard } from './render-dashboard';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const POOL = '<script>alert("pool")</script>';
const config = parseConfig(
  {
    organizations: [
      {
        url: 'https://dev.azure.com/contoso',
        auth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-pat' },
        pools: [
          {
            name: POOL,
            profiles: [
              {
                name: 'linux-docker',
                image: 'i',
                maxAgents: 7,
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
const [org] = config.organizations;
const pool = org!.pools[0]!;
const request = (requestId: number, state: JobRequest['state'], more: Partial<JobRequest> = {}): JobRequest => ({
  requestId,
  jobId: `j${requestId}`,
  state,
  demands: [],
  rawDemands: [],
  ...more,
});

const snapshot: FleetSnapshot = {
  at: NOW,
  pools: [
    {
      org: org!,
      pool,
      requests: [
        request(1, 'finished', {
          queueTime: at(90),
          assignTime: at(80),
          finishTime: at(40),
          result: 'succeeded',
          pipeline: '<img src=x onerror=alert(1)>',
          agentName: '</title><script>alert(2)</script>',
        }),
        request(2, 'running', { queueTime: at(30), assignTime: at(25), agentName: 'ado-b' }),
        request(3, 'waiting', { queueTime: at(10) }),
      ],
      registrations: [],
      backoffs: { profiles: new Map([[`${POOL.toLowerCase()}/linux-docker`, { until: NOW + 60_000, reason: '<script>alert(3)</script> quota' }]]) },
      profiles: [{ profile: pool.profiles[0]!, agents: [] }],
    },
  ],
};
const hooks = [
  {
    orgUrl: 'https://dev.azure.com/contoso',
    tone: 'warning' as const,
    summary: 'on <probation>',
    subscriptions: [{ id: '<i>sub</i>', status: 'onProbation' }],
  },
];

describe('renderDashboard', () => {
  const page = renderDashboard({ snapshot, hooks, refreshSeconds: 30, counters: { '<b>passes</b>': 3 } });

  it('renders names, agents, reasons and messages from ADO and the config as text, never as markup', () => {
    expect(page).not.toMatch(/<script|<img|<i>|<b>|<probation>/i);
    expect(page).toContain('<h2>&lt;script&gt;alert(&quot;pool&quot;)&lt;/script&gt;</h2>');
    expect(page).toContain('&lt;script&gt;alert(3)&lt;/script&gt; quota');
    expect(page).toContain('on &lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).toContain('#1 &lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('&lt;i&gt;sub&lt;/i&gt;: onProbation');
  });

  it('shows per profile what waits, runs and holds it back, and one bar per job', () => {
    expect(page).toContain('<span class="waiting">1 waiting</span> · <span class="running">1 running</span>');
    const row = /<tr data-profile="linux-docker">(.*?)<\/tr>/.exec(page)?.[1] ?? '';
    expect([...row.matchAll(/<td class="n">(\d+)/g)].map((m) => Number(m[1]))).toEqual([1, 0, 0, 0, 0, 7]);
    expect(row).toContain('start failed until 12:01:00 UTC');
    expect(page.match(/<g class="job"/g)).toHaveLength(3);
    expect(page).toContain('Last 3 jobs (times in UTC) · wait for an agent: median 10 s, longest 10 s, 1 still waiting');
  });

  it('loads nothing, runs no script, and its one stylesheet is the one the policy allows', () => {
    expect(page).not.toMatch(/\s(src|href|action)="|url\(|@import/i);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    expect(DASHBOARD_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(DASHBOARD_CSP).toMatch(/^default-src 'none'/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|script-src/);
  });

  it('reloads itself with a meta refresh, unless asked not to', () => {
    expect(page).toContain('<meta http-equiv="refresh" content="30">');
    expect(renderDashboard({ snapshot, hooks, refreshSeconds: 0 })).not.toContain('http-equiv="refresh"');
  });
});
