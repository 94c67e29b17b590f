import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startScaler, type Scaler } from './scaler-harness';

// GET /api/dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by
// playwright-core) loads the page the unchanged function file serves after a small workload on
// the emulators, reads it as a person would, and saves a screenshot. CHROMIUM_PATH names the
// browser (.ci/run sets it); without it, one on the PATH is used. No browser is a failure that
// says how to get one, never a skip: a test that does not run proves nothing.

const REPO = path.resolve(__dirname, '../..');
const SCREENSHOT = path.join(REPO, 'test-output', 'dashboard.png');
/** The README's copy, written only when asked: DASHBOARD_SCREENSHOT_DOCS=1. */
const DOCS_SCREENSHOT = path.join(REPO, 'docs', 'dashboard.png');

function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}
const executablePath = chromiumPath();

/** The browser's globals this test reads, typed here: the project compiles without the DOM library. */
type BrowserGlobals = { document: { scripts: { length: number } }; getComputedStyle(element: unknown): { fill: string } };

const WEB = 'web <script>alert("pool")</script>';
const aci = { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-agents', location: 'westeurope' };
const pat = (secretName: string) => ({ kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName });
const config = {
  organizations: [
    {
      url: 'https://dev.azure.com/contoso',
      auth: pat('ado-pat'),
      hooksAuth: pat('ado-hooks-pat'),
      pools: [
        {
          name: 'linux',
          profiles: [
            {
              name: 'linux-small',
              capabilities: { 'Agent.OS': 'Linux' },
              image: 'contosoacr.azurecr.io/ado-agent:4',
              maxAgents: 6,
              launcher: { kind: 'aksVirtualNode', apiServer: 'https://aks.example', namespace: 'ado-agents', virtualNode: 'v2' },
            },
            {
              name: 'linux-docker',
              capabilities: { 'Agent.OS': 'Linux', docker: '' },
              image: 'contosoacr.azurecr.io/ado-agent:4',
              maxAgents: 4,
              launcher: aci,
            },
          ],
        },
        {
          name: WEB,
          profiles: [{ name: 'web-std', capabilities: { 'Agent.OS': 'Linux' }, image: 'contosoacr.azurecr.io/ado-agent:4', maxAgents: 2, launcher: aci }],
        },
      ],
    },
  ],
};

describe('GET /api/dashboard in Chromium', () => {
  let scaler: Scaler;
  let browser: Browser;
  /** Jobs whose agent runs them until the test ends them (or the scaler closes). */
  const slow = new Set<number>();
  const jobs: Record<string, number[]> = { linux: [], [WEB]: [] };
  let failedJob: number;
  let stillWaiting: number;

  beforeAll(async () => {
    if (!executablePath) throw new Error('no Chromium found: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH to its executable');
    if (!existsSync(executablePath))
      throw new Error(`CHROMIUM_PATH is ${executablePath}, which does not exist: install Chromium (apt-get install chromium) or point CHROMIUM_PATH at it`);
    scaler = await startScaler({
      config,
      latencies: { aciStart: 200, aksStart: 100, jobDuration: ({ requestId }) => (slow.has(requestId) ? 120_000 : 1_500) },
      load: async () => {
        await import('../../functions/webhook.js');
        await import('../../functions/scheduler.js');
        await import('../../functions/upkeep.js');
        await import('../../functions/dashboard.js');
      },
    });
    const { ado } = scaler.stack;
    // Placeholders first, as `npm start` does: ADO then matches jobs to profiles itself.
    await scaler.host.timers.run('upkeep');
    const queue = async (pool: string, demands: string[], long = false) => {
      const job = ado.queueJob({ pool, demands, pipelineName: pool === 'linux' ? (demands.includes('docker') ? 'api-image' : 'unit-tests') : 'site <build>' });
      if (long) slow.add(job.requestId);
      jobs[pool]!.push(job.requestId);
      await new Promise((r) => setTimeout(r, 400));
      return job.requestId;
    };
    const linux = ['Agent.OS -equals Linux'];
    for (let i = 0; i < 3; i++) await queue('linux', linux);
    await queue('linux', ['docker']);
    failedJob = await queue('linux', ['docker'], true);
    const cancelled = await queue('linux', ['Agent.OS -equals Windows']);
    await queue(WEB, linux);
    await queue(WEB, linux, true);
    stillWaiting = await queue('linux', ['Agent.OS -equals Windows']);
    ado.cancelJob(cancelled);
    // The failed job: ADO ends it while its agent runs it, as a failing step would.
    await eventually(() => ado.jobs().find((j) => j.requestId === failedJob && j.state === 'running'), 30_000, 'the docker job to run');
    ado.finishJob(failedJob, 'failed');
    const done = new Set([...jobs.linux!, ...jobs[WEB]!].filter((id) => !slow.has(id) && id !== stillWaiting && id !== cancelled));
    await eventually(() => [...done].every((id) => ado.jobs().find((j) => j.requestId === id)?.state === 'finished'), 60_000, 'the short jobs to finish');
    await eventually(() => ado.jobs().some((j) => j.pool === WEB && slow.has(j.requestId) && j.state === 'running'), 30_000, 'the long web job to run');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath, headless: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await scaler?.close();
  });

  it('answers one HTML page under a policy that allows its own stylesheet and nothing else', async () => {
    const response = await fetch(`${scaler.host.url}/api/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).not.toMatch(/<script/i);
  });

  it('shows what a person reads: pools, per-profile counts, the hook, one bar per job; saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const dialogs: string[] = [];
    const problems: string[] = [];
    page.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${scaler.host.url}/api/dashboard`);

    // The page loads nothing but itself, and its stylesheet applies (the policy allowed it).
    expect(requests).toEqual([`${scaler.host.url}/api/dashboard`]);
    expect(problems).toEqual([]);
    expect(
      await page
        .locator('svg.timeline .o-succeeded')
        .first()
        .evaluate((e) => (globalThis as unknown as BrowserGlobals).getComputedStyle(e).fill),
    ).toBe('rgb(46, 157, 87)');

    // Pool names as text, the one with markup in its name too: nothing ran.
    expect(await page.locator('section.pool h2').allTextContents()).toEqual(['linux', WEB]);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.scripts.length)).toBe(0);
    expect(dialogs).toEqual([]);

    const linux = page.locator('section.pool[data-pool="linux"]');
    expect(await linux.locator('p.muted').first().textContent()).toContain('1 waiting · 0 running · 1 waiting for no profile of this pool');
    const cells = async (section: Locator, profile: string) => {
      const row = section.locator(`tr[data-profile="${profile}"] td`);
      const [name, launcher, waiting, starting, idle, busy, standby, max, placeholder] = await row.allTextContents();
      return { name, launcher, waiting, starting, idle, busy: busy?.split(' ')[0], standby, max, placeholder };
    };
    expect(await cells(linux, 'linux-small')).toMatchObject({
      launcher: 'aksVirtualNode',
      waiting: '0',
      busy: '0',
      standby: '0',
      max: '6',
      placeholder: 'registered',
    });
    expect(await cells(linux, 'linux-docker')).toMatchObject({ launcher: 'aci', waiting: '0', busy: '0', standby: '0', max: '4', placeholder: 'registered' });
    const web = page.locator('section.pool').nth(1);
    expect(await web.locator('p.muted').first().textContent()).toContain('0 waiting · 1 running');
    expect(await cells(web, 'web-std')).toMatchObject({ waiting: '0', busy: '1', max: '2', placeholder: 'registered' });

    // The service hook, read with the hooks PAT: ours is enabled.
    const hook = page.locator('section.hooks td').nth(1);
    expect(await hook.locator('.badge').textContent()).toBe('ok');
    expect(await hook.textContent()).toMatch(/^ok enabled[0-9a-f-]{36}: enabled$/);

    // One bar per job, coloured by how it ended; the wait has its own segment.
    const attributes = async (elements: Locator, name: string) => Promise.all((await elements.all()).map((e) => e.getAttribute(name)));
    const outcomes = async (section: Locator) => (await attributes(section.locator('svg.timeline g.job'), 'data-outcome')).sort();
    expect(await outcomes(linux)).toEqual(['canceled', 'failed', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'waiting'].sort());
    expect(await outcomes(web)).toEqual(['running', 'succeeded']);
    expect(await attributes(linux.locator(`g.job[data-request-id="${failedJob}"] rect`), 'class')).toEqual(['wait', 'run o-failed']);
    expect(await linux.locator(`g.job[data-request-id="${stillWaiting}"] title`).textContent()).toMatch(/waiting for [\d.]+ s$/);
    expect(await web.locator('svg.timeline g.job text.label').allTextContents()).toEqual(jobs[WEB]!.map((id) => `#${id} site <build>`));

    await screenshot(page);
  });
});

async function screenshot(page: Page): Promise<void> {
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`dashboard screenshot: ${path.relative(REPO, SCREENSHOT)}`);
  if (process.env.DASHBOARD_SCREENSHOT_DOCS === '1') {
    mkdirSync(path.dirname(DOCS_SCREENSHOT), { recursive: true });
    copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);
    console.log(`dashboard screenshot copied to ${path.relative(REPO, DOCS_SCREENSHOT)}`);
  }
}
