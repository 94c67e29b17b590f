import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from './config-error';
import { parseConfig } from './load-settings';

// What the scheduler reads from the configuration document: standby windows per profile, the
// organization's parallel job cap, the idle grace. Each problem is reported with its path and a
// message that says what to write instead, every problem at once.
const PROFILE = 'organizations[0].pools[0].profiles[0]';

function doc(options: { standby?: unknown; maxAgents?: number; maxParallelJobs?: unknown; scheduler?: unknown } = {}) {
  return {
    organizations: [
      {
        url: 'https://dev.azure.com/contoso',
        auth: { kind: 'pat', vaultUrl: 'https://kv.vault.azure.net', secretName: 'ado-pat' },
        ...(options.maxParallelJobs !== undefined ? { maxParallelJobs: options.maxParallelJobs } : {}),
        pools: [
          {
            name: 'linux',
            profiles: [
              {
                name: 'p',
                image: 'img',
                maxAgents: options.maxAgents ?? 4,
                ...(options.standby !== undefined ? { standby: options.standby } : {}),
                launcher: { kind: 'aci', subscriptionId: '11111111-2222-3333-4444-555555555555', resourceGroup: 'rg', location: 'westeurope' },
              },
            ],
          },
        ],
      },
    ],
    ...(options.scheduler !== undefined ? { scheduler: options.scheduler } : {}),
  };
}

function parse(options: Parameters<typeof doc>[0]) {
  const problems: ConfigProblem[] = [];
  const config = parseConfig(doc(options), problems);
  return { config, problems };
}

const window = { from: '08:00', to: '18:00', agents: 2 };

describe('standby windows', () => {
  it('takes a window with days every day and UTC by default, and none without any', () => {
    const { config, problems } = parse({ standby: [window, { days: 'MON-FRI', from: '07:30', to: '24:00', timeZone: 'Europe/Berlin', agents: 4 }] });
    expect(problems).toEqual([]);
    expect(config?.organizations[0]?.pools[0]?.profiles[0]?.standby).toEqual([
      { days: '*', from: '08:00', to: '18:00', timeZone: 'UTC', agents: 2 },
      { days: 'MON-FRI', from: '07:30', to: '24:00', timeZone: 'Europe/Berlin', agents: 4 },
    ]);
    expect(parse({}).config?.organizations[0]?.pools[0]?.profiles[0]?.standby).toEqual([]);
  });

  it.each([
    ['a time without its leading zero', { from: '8:00' }, '', /times of day as "HH:MM", e\.g\. "08:00"/],
    ['a time past the day', { to: '25:00' }, '', /times of day as "HH:MM"/],
    ['from not before to', { from: '18:00', to: '08:00' }, '', /from \(18:00\) must be before to \(08:00\); split a window across midnight into two/],
    ['an empty window', { from: '08:00', to: '08:00' }, '', /must be before to/],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, '', /timeZone "Mars\/Olympus" is not an IANA time zone, e\.g\. "Europe\/Berlin" or "UTC"/],
    ['days that are not cron days of the week', { days: 'WEEKDAYS' }, '', /days "WEEKDAYS" must be days of the week as in cron, e\.g\. "MON-FRI"/],
    ['more agents than the profile may run', { agents: 5 }, '.agents', /is more than maxAgents \(4\); lower it or raise maxAgents/],
    ['no agents', { agents: 0 }, '.agents', /agents must be at least 1: the idle agents to keep ready in this window/],
  ])('reports %s at the window, saying what to write', (_what, change, key, message) => {
    const { config, problems } = parse({ standby: [{ ...window, ...change }] });
    expect(config).toBeUndefined();
    expect(problems).toEqual([{ path: `${PROFILE}.standby[0]${key}`, message: expect.stringMatching(message) as string }]);
  });

  it('reports every problem of every window at once, each at its own path', () => {
    const { problems } = parse({
      standby: [
        window,
        { ...window, from: '8:00' },
        { ...window, timeZone: 'Mars/Olympus' },
        { ...window, days: 'WEEKDAYS' },
        { ...window, agents: 9 },
        { ...window, agents: 0 },
        { ...window, from: '19:00' },
      ],
    });
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        `${PROFILE}.standby[1]`,
        `${PROFILE}.standby[2]`,
        `${PROFILE}.standby[3]`,
        `${PROFILE}.standby[4].agents`,
        `${PROFILE}.standby[5].agents`,
        `${PROFILE}.standby[6]`,
      ].sort(),
    );
  });

  it('says what to write for empty days', () => {
    expect(parse({ standby: [{ ...window, days: '' }] }).problems).toEqual([
      { path: `${PROFILE}.standby[0].days`, message: expect.stringMatching(/days of the week as in cron/) as string },
    ]);
  });

  it("checks agents against the profile's own maxAgents, the default 10 included", () => {
    expect(parse({ standby: [{ ...window, agents: 4 }] }).problems).toEqual([]);
    const problems: ConfigProblem[] = [];
    const unset = doc({ standby: [{ ...window, agents: 11 }] });
    delete (unset.organizations[0]!.pools[0]!.profiles[0] as { maxAgents?: number }).maxAgents;
    parseConfig(unset, problems);
    expect(problems).toEqual([{ path: `${PROFILE}.standby[0].agents`, message: expect.stringMatching(/more than maxAgents \(10\)/) as string }]);
  });
});

describe('maxParallelJobs', () => {
  it('is absent unless set (no cap), and takes a whole number of at least 1', () => {
    expect(parse({}).config?.organizations[0]?.maxParallelJobs).toBeUndefined();
    expect(parse({ maxParallelJobs: 1 }).config?.organizations[0]?.maxParallelJobs).toBe(1);
    expect(parse({ maxParallelJobs: 25 }).config?.organizations[0]?.maxParallelJobs).toBe(25);
  });

  it('rejects 0 and negative counts, naming where the number is found', () => {
    for (const n of [0, -3]) {
      expect(parse({ maxParallelJobs: n }).problems).toEqual([
        {
          path: 'organizations[0].maxParallelJobs',
          message: expect.stringMatching(/at least 1: the self-hosted parallel jobs of the organization \(Organization settings > Parallel jobs\)/) as string,
        },
      ]);
    }
  });

  it('rejects a fraction or a string', () => {
    for (const n of [1.5, '3']) {
      const { config, problems } = parse({ maxParallelJobs: n });
      expect(config).toBeUndefined();
      expect(problems.map((p) => p.path)).toEqual(['organizations[0].maxParallelJobs']);
    }
  });

  // Zod 4 leaves `input` out of its issues: a wrong-typed value used to be reported as missing.
  it('says a fraction must be a whole number rather than that it is missing', () => {
    expect(parse({ maxParallelJobs: 1.5 }).problems).toEqual([
      { path: 'organizations[0].maxParallelJobs', message: expect.stringMatching(/whole number/) as string },
    ]);
  });
});

describe('scheduler.idleGraceSeconds', () => {
  it('defaults to 30 seconds and takes 1 second to a day', () => {
    expect(parse({}).config?.scheduler).toEqual({ idleGraceSeconds: 30 });
    expect(parse({ scheduler: {} }).config?.scheduler.idleGraceSeconds).toBe(30);
    expect(parse({ scheduler: { idleGraceSeconds: 1 } }).config?.scheduler.idleGraceSeconds).toBe(1);
    expect(parse({ scheduler: { idleGraceSeconds: 86_400 } }).config?.scheduler.idleGraceSeconds).toBe(86_400);
  });

  it.each([
    [0, /idleGraceSeconds \(how long an agent no waiting job needs may stay idle before it is stopped\) must be at least 1 second, e\.g\. 30/],
    [86_401, /idleGraceSeconds .* must be at most 86400 \(a day\)/],
  ])('rejects %s, saying what the setting means and its bounds', (value, message) => {
    expect(parse({ scheduler: { idleGraceSeconds: value } }).problems).toEqual([
      { path: 'scheduler.idleGraceSeconds', message: expect.stringMatching(message) as string },
    ]);
  });

  it('rejects a fraction, and a misspelt key with the key named', () => {
    expect(parse({ scheduler: { idleGraceSeconds: 2.5 } }).problems.map((p) => p.path)).toEqual(['scheduler.idleGraceSeconds']);
    expect(parse({ scheduler: { idleGrace: 5 } }).problems).toEqual([
      { path: 'scheduler', message: expect.stringMatching(/unknown key "idleGrace"/) as string },
    ]);
  });

  it('is reported together with the other problems of the document', () => {
    const { problems } = parse({ scheduler: { idleGraceSeconds: 0 }, maxParallelJobs: 0, standby: [{ ...window, to: '8:00' }] });
    expect(problems.map((p) => p.path).sort()).toEqual(['organizations[0].maxParallelJobs', `${PROFILE}.standby[0]`, 'scheduler.idleGraceSeconds'].sort());
  });
});
