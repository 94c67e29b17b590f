import type { TokenCredential } from '@azure/identity';

/** Azure DevOps' resource id in Microsoft Entra; the token's audience. */
export const ADO_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';

/** The Authorization header for an organization, and how to get a fresh one after a 401. */
export interface AdoCredential {
  authorization(): Promise<string>;
  refresh(): Promise<void>;
  /** What a new agent registers with: the PAT, or an Entra access token (the agent uses it only to register). */
  agentToken(): Promise<string>;
  /** Names where the credential comes from (never the credential), for error messages. */
  readonly description: string;
}

export interface SecretRef {
  readonly vaultUrl: string;
  readonly name: string;
}

/** The part of the PAT store this module needs. */
export interface PatSource {
  get(ref: SecretRef): Promise<string>;
  refresh(ref: SecretRef): Promise<string>;
}

export function patCredential(store: PatSource, ref: SecretRef): AdoCredential {
  // ADO takes a PAT as the password of basic auth with an empty user name.
  const header = (pat: string) => `Basic ${Buffer.from(`:${pat}`).toString('base64')}`;
  return {
    description: `the PAT in Key Vault secret "${ref.name}" of ${ref.vaultUrl}`,
    authorization: async () => header(await store.get(ref)),
    agentToken: () => store.get(ref),
    refresh: async () => {
      await store.refresh(ref);
    },
  };
}

/** Entra tokens last about an hour; renew five minutes early so a call never carries a stale one. */
const EARLY_RENEWAL_MS = 5 * 60_000;

export function entraCredential(credential: TokenCredential, now: () => number = Date.now): AdoCredential {
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const fetchToken = async (): Promise<string> => {
    const token = await credential.getToken(ADO_SCOPE);
    if (!token) throw new Error('Microsoft Entra returned no token for Azure DevOps');
    cached = { token: token.token, expiresAt: token.expiresOnTimestamp };
    return token.token;
  };
  const current = async (): Promise<string> => {
    if (cached && cached.expiresAt - EARLY_RENEWAL_MS > now()) return cached.token;
    pending ??= fetchToken().finally(() => (pending = undefined));
    return pending;
  };
  return {
    description: 'the Microsoft Entra identity of the function app',
    authorization: async () => `Bearer ${await current()}`,
    agentToken: current,
    refresh: async () => {
      cached = undefined;
      await current();
    },
  };
}
