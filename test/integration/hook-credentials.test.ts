import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_PAT } from '../../scripts/local-stack/emulator-stack';
import type { LogLine } from './scaler-harness';
import { configWithPools, startScaler, type Scaler } from './scaler-harness';
import { runUpkeepLater } from './upkeep-helpers';

/**
 * The pool PAT has Agent Pools (Read & manage) only, as the README tells users to create it, and
 * dev.azure.com refuses it on the service hooks API with a 401, as it refuses a revoked PAT.
 * Upkeep's hook health must neither use it there nor take such a 401 for a revoked PAT.
 */
let scaler: Scaler;
const base = configWithPools(['linux']).organizations[0]!;
/** contoso has no credential for service hooks; fabrikam has one, which lacks the scope. */
const config = {
  organizations: [
    base,
    { ...base, url: 'https://dev.azure.com/fabrikam', hooksAuth: { kind: 'pat', vaultUrl: 'https://x.vault.azure.net', secretName: 'ado-hooks-pat' } },
  ],
};
/** Three upkeep runs, as the timer makes them a minute apart. */
const lines: LogLine[] = [];
/** The hooks calls of the upkeep runs (not the subscription the harness made first, as hook:create would). */
const hookCalls = (org: string) =>
  scaler.stack.ado
    .requests()
    .slice(mark)
    .filter((r) => r.path.startsWith(`/${org}/_apis/hooks/`));
let mark = 0;
const secretReads = (name: string) => scaler.stack.keyVault.requests().filter((r) => r.method === 'GET' && r.path.startsWith(`/secrets/${name}/`)).length;
const about = (org: string) => lines.filter((l) => /service hook/i.test(l.message) && l.message.includes(`/${org}`));
let readsAfterFirstRun: Record<string, number>;

beforeAll(async () => {
  scaler = await startScaler({
    config,
    load: async () => {
      await import('../../functions/webhook.js');
      await import('../../functions/upkeep.js');
    },
  });
  // A user who stored the pool PAT as the hooks PAT.
  scaler.stack.keyVault.setSecret('ado-hooks-pat', EMULATOR_PAT);
  mark = scaler.stack.ado.requests().length;
  await runUpkeepLater(0, lines); // reads each secret once, into the five-minute cache
  readsAfterFirstRun = { 'ado-pat': secretReads('ado-pat'), 'ado-hooks-pat': secretReads('ado-hooks-pat') };
  await runUpkeepLater(0, lines);
  await runUpkeepLater(0, lines);
});

afterAll(() => scaler?.close());

describe('hook health and the credential for service hooks', () => {
  it('without one, skips the organization and says so once, naming the setting and the scope; no call, no Key Vault re-read', () => {
    const said = about('contoso');
    expect(said).toHaveLength(1);
    expect(said[0]!.level).toBe('warn');
    expect(said[0]!.message).toMatch(/hooksAuth/);
    expect(said[0]!.message).toMatch(/Build \(Read\)/);
    expect(hookCalls('contoso')).toEqual([]);
    expect(secretReads('ado-pat')).toBe(readsAfterFirstRun['ado-pat']);
  });

  it('with one that lacks the scope: names the missing scope and the fix once, and reads no secret again', () => {
    const said = about('fabrikam');
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toMatch(/lacks the scope Build \(Read\) \(vso\.build\)/);
    expect(said[0]!.message).toMatch(/User settings > Personal access tokens/);
    expect(said[0]!.message).toMatch(/ado-hooks-pat/);
    expect(secretReads('ado-hooks-pat')).toBe(readsAfterFirstRun['ado-hooks-pat']);
    // Every run still asks, so a scope added to the PAT in place is noticed: one refused listing each.
    expect(hookCalls('fabrikam').filter((r) => r.status === 401)).toHaveLength(3);
  });

  it('never says a PAT was revoked or expired, and never shows one', () => {
    const text = lines.map((l) => l.message).join('\n');
    expect(text).not.toMatch(/revoked|expired|rejects|still rejected/i);
    expect(text).not.toContain(EMULATOR_PAT);
  });
});
