import { describe, expect, it } from 'vitest';
import { callAdo } from './ado-call';
import { patCredential, type PatSource } from './ado-credential';

const ref = { vaultUrl: 'https://kv.vault.azure.net', name: 'ado-pat' };

/** A store whose latest version is what the test says; ADO rejects every PAT here. */
function store(): PatSource & { latest: string; refreshes: number } {
  const s = {
    latest: 'v1',
    refreshes: 0,
    get: () => Promise.resolve(`pat-${s.latest}`),
    refresh: () => {
      s.refreshes++;
      return Promise.resolve(`pat-${s.latest}`);
    },
    version: () => s.latest,
  };
  return s;
}

const rejectedCall = (credential: ReturnType<typeof patCredential>) =>
  callAdo(
    'the job request listing of pool 10',
    credential,
    () => {},
    () => Promise.reject(Object.assign(new Error('401'), { statusCode: 401 })),
  );

describe('a PAT that ADO rejects', () => {
  it('is explained once per secret version, naming the secret and pat:rotate, then only reminded of', async () => {
    const source = store();
    const credential = patCredential(source, ref);
    const messages: string[] = [];
    for (let i = 0; i < 3; i++) messages.push(await rejectedCall(credential).catch((e: Error) => e.message));
    expect(source.refreshes).toBe(3);
    expect(messages[0]).toMatch(
      /Key Vault secret "ado-pat" of https:\/\/kv\.vault\.azure\.net \(version v1\).*expired or was revoked.*npm run pat:rotate -- --vault https:\/\/kv\.vault\.azure\.net --secret ado-pat/,
    );
    expect(messages.slice(1)).toEqual([expect.stringContaining('still rejected'), expect.stringContaining('still rejected')]);
    expect(messages.filter((m) => m.includes('expired or was revoked'))).toHaveLength(1);

    source.latest = 'v2'; // rotated to a PAT that is rejected too: a new explanation
    const next = await rejectedCall(credential).catch((e: Error) => e.message);
    expect(next).toContain('(version v2)');
    expect(next).toContain('expired or was revoked');
    expect(messages.concat(next).some((m) => m.includes('pat-v'))).toBe(false);
  });
});
