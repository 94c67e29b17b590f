import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from './config-error';
import { parseConfig } from './load-settings';

// A profile's `tags` (cost per team): Azure tags on its container groups, labels on its AKS Jobs
// and pods. What Azure or Kubernetes would refuse is refused at load time, every problem at once,
// at the tag's path, saying what to write instead; nothing is rewritten.
const PROFILE = 'organizations[0].pools[0].profiles[0]';
const ACI = { kind: 'aci', subscriptionId: '11111111-2222-3333-4444-555555555555', resourceGroup: 'rg', location: 'westeurope' };
const AKS = { kind: 'aksVirtualNode', apiServer: 'https://aks.example:443' };

function parse(tags: unknown, launcher: object = ACI) {
  const problems: ConfigProblem[] = [];
  const config = parseConfig(
    {
      organizations: [
        {
          url: 'https://dev.azure.com/contoso',
          auth: { kind: 'pat', vaultUrl: 'https://kv.vault.azure.net', secretName: 'ado-pat' },
          pools: [{ name: 'linux', profiles: [{ name: 'p', image: 'img', ...(tags === undefined ? {} : { tags }), launcher }] }],
        },
      ],
    },
    problems,
  );
  return { config, problems, profile: config?.organizations[0]?.pools[0]?.profiles[0] };
}

describe('profile tags', () => {
  it('takes team and cost center tags as written, and none by default', () => {
    const tags = { team: 'web', costCenter: '1234', 'Cost Center': 'R&D / Web (EU)' };
    expect(parse(tags)).toMatchObject({ problems: [], profile: { tags } });
    expect(parse({ team: 'web', 'cost-center': '1234', 'app.kubernetes.io_part': 'ci' }, AKS)).toMatchObject({ problems: [] });
    expect(parse(undefined).profile?.tags).toBeUndefined();
    // An empty value is a value for Azure and for Kubernetes.
    expect(parse({ team: '' }, AKS).problems).toEqual([]);
  });

  it.each([
    [
      'a name with a character Azure refuses',
      { 'team/area': 'web' },
      'team/area',
      /has "\/", which Azure refuses in tag names \(< > % & \\ \? \/ and control characters\); rename it, e.g\. "team-area"/,
    ],
    ['a name with a control character', { 'team\tx': 'web' }, 'team\tx', /has "\\t", which Azure refuses/],
    ['a name over 512 characters', { ['n'.repeat(513)]: 'web' }, 'n'.repeat(513), /is 513 characters; Azure allows at most 512: shorten it/],
    ['a value over 256 characters', { team: 'v'.repeat(257) }, 'team', /the value is 257 characters; Azure allows at most 256 in a tag value: shorten it/],
    ['a blank name', { ' ': 'web' }, ' ', /must not be empty or blank/],
    [
      'a prefix Azure reserves',
      { AzureTeam: 'web' },
      'AzureTeam',
      /starts with "Azure", a prefix Azure reserves \(as "microsoft", "azure" and "windows"\); rename it, e.g\. "team"/,
    ],
    [
      "one of the scaler's own tags",
      { 'ado-profile': 'x' },
      'ado-profile',
      /is a tag the scaler sets itself on every agent \(managed-by, ado-org, ado-pool, ado-profile, created-at, ado-standby; Azure tag names ignore case\)/,
    ],
    ["one of the scaler's own tags in other case", { 'Managed-By': 'me' }, 'Managed-By', /is a tag the scaler sets itself/],
    [
      'two names that differ only in case',
      { team: 'web', Team: 'api' },
      'Team',
      /differs from the tag "team" only in case, and Azure tag names ignore case; keep one of them/,
    ],
  ])('refuses %s, naming the tag and the fix', (_what, tags, name, message) => {
    const { config, problems } = parse(tags);
    expect(config).toBeUndefined();
    expect(problems).toEqual([{ path: `${PROFILE}.tags.${name}`, message: expect.stringMatching(message) as string }]);
  });

  it("refuses more than 44 tags: with the scaler's 6, Azure's 50 per resource", () => {
    const tags = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`tag${i}`, 'x']));
    expect(parse(tags).problems).toEqual([
      {
        path: `${PROFILE}.tags`,
        message: expect.stringMatching(/^has 45 tags; at most 44 fit: Azure allows 50 per resource and the scaler sets up to 6 of its own/) as string,
      },
    ]);
    delete tags.tag44;
    expect(parse(tags).problems).toEqual([]);
  });

  it('refuses a value that is not a string', () => {
    expect(parse({ costCenter: 1234 }).problems).toEqual([{ path: `${PROFILE}.tags.costCenter`, message: 'must be a string' }]);
  });

  describe('on an AKS profile, where they are labels too', () => {
    it.each([
      [
        'a value with a space',
        { team: 'R&D web' },
        'team',
        /"R&D web" is not a valid Kubernetes label value, which an AKS profile's tags must be \(they label its Jobs and pods\).*write e\.g\. "r-d-web" \(the scaler does not rewrite it/,
      ],
      ['a value over 63 characters', { team: 'w'.repeat(64) }, 'team', /is not a valid Kubernetes label value/],
      ['a name with a space', { 'cost center': '1234' }, 'cost center', /is not a valid Kubernetes label name.*rename it, e\.g\. "cost-center"/],
      ['a name over 63 characters', { ['n'.repeat(64)]: 'x' }, 'n'.repeat(64), /is not a valid Kubernetes label name/],
      ["a label Kubernetes sets on a Job's pods", { 'job-name': 'x' }, 'job-name', /is a label Kubernetes sets on every pod of a Job itself/],
      [
        'a tag the virtual node sets on its container groups',
        { namespace: 'x' },
        'namespace',
        /is a tag the virtual node sets on each container group itself \(PodName, NodeName, Namespace, UID, CreationTimestamp\)/,
      ],
    ])('refuses %s', (_what, tags, name, message) => {
      const { problems } = parse(tags, AKS);
      expect(problems).toEqual([{ path: `${PROFILE}.tags.${name}`, message: expect.stringMatching(message) as string }]);
      // The same tags are fine on ACI: only Azure's rules apply there.
      expect(parse(tags).problems).toEqual([]);
    });
  });

  it('takes the tags of config.sample.json', () => {
    const problems: ConfigProblem[] = [];
    const config = parseConfig(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config.sample.json'), 'utf8')), problems);
    expect(problems).toEqual([]);
    expect(config?.organizations[0]?.pools[0]?.profiles.find((p) => p.name === 'linux-docker')?.tags).toEqual({ team: 'web', costCenter: '1234' });
  });

  it('reports every problem of every tag at once', () => {
    const { problems } = parse({ 'a/b': 'x', 'ado-pool': 'y', 'cost center': 'R&D', 'windows-team': 'z', ok: 'fine' }, AKS);
    expect(problems.map((p) => p.path)).toEqual([
      `${PROFILE}.tags.a/b`,
      `${PROFILE}.tags.ado-pool`,
      `${PROFILE}.tags.cost center`,
      `${PROFILE}.tags.cost center`,
      `${PROFILE}.tags.windows-team`,
    ]);
  });
});
