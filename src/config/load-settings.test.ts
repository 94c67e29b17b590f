import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { loadSettings } from './load-settings';

const profile = {
  name: 'linux',
  image: 'acr.azurecr.io/agent:4',
  launcher: { kind: 'aci', subscriptionId: '11111111-2222-3333-4444-555555555555', resourceGroup: 'rg', location: 'westeurope' },
};
const good = {
  organizations: [
    {
      url: 'https://contoso.visualstudio.com/',
      auth: { kind: 'pat', vaultUrl: 'https://kv.vault.azure.net/', secretName: 'ado-pat' },
      pools: [{ name: 'Linux Pool', profiles: [profile] }],
    },
  ],
};
const baseEnv = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  ServiceBusConnection: 'Endpoint=sb://localhost;SharedAccessKeyName=x;SharedAccessKey=y;UseDevelopmentEmulator=true',
  WEBHOOK_USERNAME: 'hook',
  WEBHOOK_PASSWORD: 'a-long-enough-password',
};

function problemsOf(env: Record<string, string | undefined>): Array<{ path: string; message: string }> {
  try {
    loadSettings(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadSettings', () => {
  it('parses a valid inline document, normalising URLs and filling defaults', () => {
    const s = loadSettings({ ...baseEnv, SCALER_CONFIG: JSON.stringify(good) });
    const org = s.config.organizations[0]!;
    expect(org.url.url).toBe('https://dev.azure.com/contoso');
    expect(org.auth).toEqual({ kind: 'pat', vaultUrl: 'https://kv.vault.azure.net', secretName: 'ado-pat' });
    const p = org.pools[0]!.profiles[0]!;
    expect(p).toMatchObject({ cpu: 1, memoryGb: 2, maxAgents: 10, capabilities: {}, agentVersion: '4.255.0' });
    expect(s.config.reconcile.intervalSeconds).toBe(60);
    expect(s.serviceBus).toEqual({ connectionString: baseEnv.ServiceBusConnection });
  });

  it('takes an optional WEBHOOK_URL, refusing one that is not a URL', () => {
    expect(loadSettings({ ...baseEnv, SCALER_CONFIG: JSON.stringify(good) }).webhookUrl).toBeUndefined();
    const url = 'https://scaler.azurewebsites.net/api/webhook';
    expect(loadSettings({ ...baseEnv, SCALER_CONFIG: JSON.stringify(good), WEBHOOK_URL: url }).webhookUrl).toBe(url);
    expect(problemsOf({ ...baseEnv, SCALER_CONFIG: JSON.stringify(good), WEBHOOK_URL: 'scaler/api/webhook' }).map((p) => p.path)).toEqual(['WEBHOOK_URL']);
  });

  it('reads the document from SCALER_CONFIG_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scaler-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(good));
    expect(loadSettings({ ...baseEnv, SCALER_CONFIG_FILE: file }).config.organizations).toHaveLength(1);
  });

  it('accepts identity-based Service Bus settings', () => {
    const env = {
      WEBHOOK_USERNAME: 'hook',
      WEBHOOK_PASSWORD: 'a-long-enough-password',
      SCALER_CONFIG: JSON.stringify(good),
      AzureWebJobsStorage__accountName: 'scalerst',
    };
    const s = loadSettings({ ...env, ServiceBusConnection__fullyQualifiedNamespace: 'ns.servicebus.windows.net', ServiceBusConnection__clientId: 'abc' });
    expect(s.serviceBus).toEqual({ fullyQualifiedNamespace: 'ns.servicebus.windows.net', clientId: 'abc' });
    expect(s.storage).toEqual({ tableServiceUri: 'https://scalerst.table.core.windows.net' });
    expect(s.armEndpoint).toBe('https://management.azure.com');
  });

  it('lists every mistake at once, each with its path and advice', () => {
    const bad = {
      organizations: [
        {
          url: 'https://dev.azure.com/',
          auth: { kind: 'password' },
          pools: [
            {
              name: 'linux',
              profiles: [
                { ...profile, name: 'Linux_Profile', cpu: 64, launcher: { ...profile.launcher, spot: true, subnetId: '/subscriptions/x/subnets/y' } },
                { ...profile, maxAgent: 3 },
              ],
            },
            { name: 'LINUX', profiles: [] },
          ],
        },
      ],
      reconcile: { intervalSeconds: 45 },
    };
    const problems = problemsOf({ SCALER_CONFIG: JSON.stringify(bad), WEBHOOK_PASSWORD: 'short' });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'organizations[0].url',
        'organizations[0].auth.kind',
        'organizations[0].pools[0].profiles[0].name',
        'organizations[0].pools[0].profiles[0].cpu',
        'organizations[0].pools[0].profiles[1]',
        'organizations[0].pools[1].profiles',
        'reconcile.intervalSeconds',
        'WEBHOOK_USERNAME',
        'WEBHOOK_PASSWORD',
        'ServiceBusConnection__fullyQualifiedNamespace',
        'AzureWebJobsStorage__accountName',
      ]),
    );
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    expect(byPath.get('organizations[0].url')).toMatch(/exactly one organization/);
    expect(byPath.get('organizations[0].auth.kind')).toMatch(/"pat".*"managedIdentity"/);
    expect(byPath.get('organizations[0].pools[0].profiles[1]')).toMatch(/unknown key "maxAgent"/);
    expect(byPath.get('reconcile.intervalSeconds')).toMatch(/divide a minute/);
    expect(byPath.get('WEBHOOK_PASSWORD')).toMatch(/at least 16 characters/);
  });

  it('rejects Spot with a subnet and duplicate pools, naming the fix', () => {
    const doc = structuredClone(good) as typeof good & { organizations: Array<{ pools: unknown[] }> };
    const spotInSubnet = { ...profile, launcher: { ...profile.launcher, spot: true, subnetId: '/subscriptions/x/subnets/y' } };
    doc.organizations[0]!.pools = [
      { name: 'Linux', profiles: [spotInSubnet] },
      { name: 'linux', profiles: [profile] },
    ];
    const problems = problemsOf({ ...baseEnv, SCALER_CONFIG: JSON.stringify(doc) });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'organizations[0].pools[0].profiles[0].launcher.spot', message: expect.stringMatching(/cannot join a subnet/) as unknown },
        { path: 'organizations[0].pools[1].name', message: expect.stringMatching(/listed twice/) as unknown },
      ]),
    );
  });

  it('takes spot as "preferred", "required" or false, true still meaning "preferred"; another value names the field and the choices', () => {
    const withSpot = (spot: unknown) => {
      const doc = structuredClone(good) as typeof good & { organizations: Array<{ pools: Array<{ profiles: unknown[] }> }> };
      doc.organizations[0]!.pools[0]!.profiles = [{ ...profile, launcher: { ...profile.launcher, spot } }];
      return JSON.stringify(doc);
    };
    const spotOf = (spot: unknown) => {
      const launcher = loadSettings({ ...baseEnv, SCALER_CONFIG: withSpot(spot) }).config.organizations[0]!.pools[0]!.profiles[0]!.launcher;
      return launcher.kind === 'aci' ? launcher.spot : undefined;
    };
    expect([undefined, false, true, 'preferred', 'required'].map(spotOf)).toEqual([false, false, 'preferred', 'preferred', 'required']);
    for (const wrong of ['always', 'Preferred', 1]) {
      expect(problemsOf({ ...baseEnv, SCALER_CONFIG: withSpot(wrong) })).toEqual([
        {
          path: 'organizations[0].pools[0].profiles[0].launcher.spot',
          message: expect.stringMatching(/^spot must be "preferred" .*, "required" .* or false .*; true means "preferred"$/) as unknown,
        },
      ]);
    }
  });

  it('reports a missing document, unreadable file and invalid JSON clearly', () => {
    expect(problemsOf(baseEnv)[0]).toMatchObject({ path: 'SCALER_CONFIG', message: expect.stringMatching(/SCALER_CONFIG_FILE/) as unknown });
    expect(problemsOf({ ...baseEnv, SCALER_CONFIG_FILE: '/nonexistent/config.json' })[0]).toMatchObject({
      path: 'SCALER_CONFIG_FILE',
      message: expect.stringMatching(/ENOENT/) as unknown,
    });
    expect(problemsOf({ ...baseEnv, SCALER_CONFIG: '{"organizations": [' })[0]?.message).toMatch(/not valid JSON/);
  });

  it('never echoes the webhook password in errors', () => {
    const secret = 'short-secret';
    const error = (() => {
      try {
        loadSettings({ ...baseEnv, WEBHOOK_PASSWORD: secret, SCALER_CONFIG: JSON.stringify(good) });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/WEBHOOK_PASSWORD/);
    expect(error?.message).not.toContain(secret);
  });
});
