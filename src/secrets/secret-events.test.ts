import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-settings';
import type { ScalerConfig } from '../config/schema';
import { ScalerError } from '../errors/scaler-error';
import { Counters } from '../metrics/counters';
import { handleSecretEvents, keyVaultEvents } from './secret-events';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/eventgrid', name), 'utf8'));

const profile = { name: 'p', image: 'i', launcher: { kind: 'aksVirtualNode', apiServer: 'https://aks.example' } };
const config = parseConfig(
  {
    organizations: [
      {
        url: 'https://dev.azure.com/a',
        auth: { kind: 'pat', vaultUrl: 'https://sample-kv.vault.azure.net', secretName: 'NewSecret' },
        pools: [{ name: 'x', profiles: [profile] }],
      },
      {
        url: 'https://dev.azure.com/b',
        auth: { kind: 'pat', vaultUrl: 'https://other-kv.vault.azure.net', secretName: 'newsecret' },
        pools: [{ name: 'x', profiles: [profile] }],
      },
      { url: 'https://dev.azure.com/c', auth: { kind: 'managedIdentity' }, pools: [{ name: 'x', profiles: [profile] }] },
    ],
  },
  [],
) as ScalerConfig;

function harness(refresh: (orgUrl: string) => Promise<void> = () => Promise.resolve()) {
  const lines: Array<[string, string]> = [];
  const refreshed: string[] = [];
  const counters = new Counters();
  const deps = {
    config,
    counters,
    refresh: async (orgUrl: string) => {
      refreshed.push(orgUrl);
      await refresh(orgUrl);
    },
    log: {
      info: (m: unknown) => lines.push(['info', String(m)]),
      warn: (m: unknown) => lines.push(['warn', String(m)]),
      error: (m: unknown) => lines.push(['error', String(m)]),
    },
  };
  return { deps, lines, refreshed, counters };
}

const nearExpiry = {
  id: 'e1',
  eventType: 'Microsoft.KeyVault.SecretNearExpiry',
  subject: 'newsecret',
  data: {
    id: 'https://sample-kv.vault.azure.net/secrets/newsecret/v2',
    vaultName: 'sample-kv',
    objectType: 'Secret',
    objectName: 'newsecret',
    version: 'v2',
    exp: 1767225600,
  },
};

describe('keyVaultEvents', () => {
  it('reads the published samples alike: Event Grid schema, CloudEvents, and the docs array with its stray spaces', () => {
    const expected = {
      type: 'SecretNewVersionCreated',
      vaultOrigin: 'https://sample-kv.vault.azure.net',
      vaultName: 'sample-kv',
      secretName: 'newsecret',
      version: 'ee059b2bb5bc48398a53b168c6cdcb10',
      expiresOn: new Date(1559082102 * 1000),
    };
    expect(keyVaultEvents(fixture('SecretNewVersionCreated.event-grid-schema.spec.json'))).toEqual([expected]);
    expect(keyVaultEvents(fixture('SecretNewVersionCreated.cloud-events-schema.spec.json'))).toEqual([expected]);
    expect(keyVaultEvents(fixture('SecretNewVersionCreated.docs-array.json'))).toEqual([expected]);
  });

  it('reads camelCase data with a numeric expiry, and skips what is not a Key Vault event', () => {
    expect(keyVaultEvents([nearExpiry, { eventType: 'Microsoft.Storage.BlobCreated', data: {} }, null, 'x'])).toEqual([
      {
        type: 'SecretNearExpiry',
        vaultOrigin: 'https://sample-kv.vault.azure.net',
        vaultName: 'sample-kv',
        secretName: 'newsecret',
        version: 'v2',
        expiresOn: new Date('2026-01-01T00:00:00Z'),
      },
    ]);
  });
});

describe('handleSecretEvents', () => {
  it('refreshes the PAT of each organization using the secret (vault and name, case-insensitively), no other', async () => {
    const { deps, refreshed } = harness();
    await handleSecretEvents(fixture('SecretNewVersionCreated.docs-array.json'), deps);
    expect(refreshed).toEqual(['https://dev.azure.com/a']);
  });

  it('warns about a PAT near expiry with the secret and the date, and counts it; ignores secrets nobody uses', async () => {
    const { deps, lines, counters, refreshed } = harness();
    await handleSecretEvents([nearExpiry, { ...nearExpiry, data: { ...nearExpiry.data, objectName: 'unrelated', id: undefined } }], deps);
    expect(counters.get('secretNearExpiry')).toBe(1);
    const warnings = lines.filter(([level]) => level === 'warn').map(([, m]) => m);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"newsecret"');
    expect(warnings[0]).toContain('2026-01-01T00:00:00.000Z');
    expect(warnings[0]).toContain('npm run pat:rotate -- --vault sample-kv --secret newsecret');
    expect(refreshed).toEqual([]);
  });

  it('throws when the vault cannot be read now (Event Grid retries), logs a permanent failure instead', async () => {
    const event = fixture('SecretNewVersionCreated.event-grid-schema.spec.json');
    const transient = harness(() => Promise.reject(new ScalerError('transient', 'vault unreachable')));
    await expect(handleSecretEvents(event, transient.deps)).rejects.toThrow('vault unreachable');
    const permanent = harness(() => Promise.reject(new ScalerError('permanent', 'secret is disabled')));
    await handleSecretEvents(event, permanent.deps);
    expect(permanent.lines.filter(([level]) => level === 'error').map(([, m]) => m)).toEqual([expect.stringContaining('secret is disabled')]);
  });
});
