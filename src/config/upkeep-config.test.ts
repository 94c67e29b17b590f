import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from './config-error';
import { parseConfig } from './load-settings';

const base = {
  organizations: [
    {
      url: 'https://dev.azure.com/contoso',
      auth: { kind: 'pat', vaultUrl: 'https://kv.vault.azure.net', secretName: 'ado-pat' },
      pools: [
        {
          name: 'linux',
          profiles: [
            {
              name: 'p',
              image: 'img',
              launcher: { kind: 'aci', subscriptionId: '11111111-2222-3333-4444-555555555555', resourceGroup: 'rg', location: 'westeurope' },
            },
          ],
        },
      ],
    },
  ],
};

function parse(upkeep: unknown) {
  const problems: ConfigProblem[] = [];
  const config = parseConfig(upkeep === undefined ? base : { ...base, upkeep }, problems);
  return { config, problems };
}

describe('upkeep configuration', () => {
  it('defaults every key', () => {
    expect(parse(undefined).config?.upkeep).toEqual({ intervalSeconds: 60, keepFinished: 5, orphanGraceSeconds: 300 });
    expect(parse(undefined).config?.scheduler).toEqual({ idleGraceSeconds: 30 });
    expect(parse({ keepFinished: 0 }).config?.upkeep).toMatchObject({ intervalSeconds: 60, keepFinished: 0 });
  });

  it('takes intervals only where the timer paces evenly, as reconcile does', () => {
    expect(parse({ intervalSeconds: 300 }).config?.upkeep.intervalSeconds).toBe(300);
    expect(parse({ intervalSeconds: 45 }).problems).toEqual([{ path: 'upkeep.intervalSeconds', message: expect.stringMatching(/divide a minute/) as string }]);
  });

  it('names the key and what it means when a value is out of range or unknown', () => {
    const { problems } = parse({ keepFinished: -1, orphanGraceSeconds: 1.5, keepFinshed: 3 });
    expect(problems.map((p) => p.path).sort()).toEqual(['upkeep', 'upkeep.keepFinished', 'upkeep.orphanGraceSeconds']);
    const grace = [] as ConfigProblem[];
    parseConfig({ ...base, scheduler: { idleGraceSeconds: 0 } }, grace);
    expect(grace).toEqual([{ path: 'scheduler.idleGraceSeconds', message: expect.stringMatching(/at least 1 second.*e\.g\. 30/) as string }]);
    expect(problems.find((p) => p.path === 'upkeep.keepFinished')?.message).toMatch(/finished agent containers per profile/);
    expect(problems.find((p) => p.path === 'upkeep')?.message).toMatch(/unknown key "keepFinshed"/);
  });
});
