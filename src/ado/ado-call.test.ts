import { describe, expect, it } from 'vitest';
import { callAdo } from './ado-call';
import type { AdoCredential } from './ado-credential';

// Pure logic of the retry decisions; the credential is a stand-in holding a current header, as a
// PAT store shared by concurrent calls does (the emulator suites drive the real client).
function credential(initial: string): AdoCredential & { current: string; refreshes: number } {
  const c = {
    current: initial,
    refreshes: 0,
    description: 'the PAT in Key Vault secret "ado-pat"',
    authorization: () => Promise.resolve(c.current),
    agentToken: () => Promise.resolve(c.current),
    refresh: () => {
      c.refreshes++;
      return Promise.resolve();
    },
  };
  return c;
}

const unauthorized = () => Object.assign(new Error('401 Unauthorized'), { statusCode: 401 });

describe('callAdo on 401', () => {
  it('retries with a credential another call refreshed meanwhile, rather than calling the new one short of a scope', async () => {
    const cred = credential('old');
    const sent: string[] = [];
    let header = '';
    const result = await callAdo(
      'listing the job requests of pool 10',
      cred,
      (h) => (header = h),
      () => {
        sent.push(header);
        if (header === 'old') {
          cred.current = 'new'; // a concurrent call's refresh lands while this one is answered 401
          return Promise.reject(unauthorized());
        }
        return Promise.resolve('listed');
      },
      // ADO accepts the new credential: asked about it, the probe would say "a scope is missing".
      { accepted: () => Promise.resolve(cred.current === 'new') },
    );
    expect(result).toBe('listed');
    expect(sent).toEqual(['old', 'new']);
    expect(cred.refreshes).toBe(0);
  });

  it('reports a missing scope when ADO accepts the very credential it refused the call', async () => {
    const cred = credential('pat');
    await expect(
      callAdo(
        'listing subscriptions',
        cred,
        () => undefined,
        () => Promise.reject(unauthorized()),
        { accepted: () => Promise.resolve(true) },
      ),
    ).rejects.toMatchObject({ message: expect.stringMatching(/lacks the scope/) as unknown });
    expect(cred.refreshes).toBe(0);
  });

  it('reads the credential again once when ADO rejects it outright', async () => {
    const cred = credential('revoked');
    let header = '';
    const result = await callAdo(
      'listing agents',
      cred,
      (h) => (header = h),
      () => (header === 'revoked' ? Promise.reject(unauthorized()) : Promise.resolve('ok')),
      {
        accepted: () => Promise.resolve(false),
      },
    ).catch((e: unknown) => e);
    expect(cred.refreshes).toBe(1);
    expect(result).toBeInstanceOf(Error); // the store still holds the revoked PAT: one clear failure, no loop
  });
});
