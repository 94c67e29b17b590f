import type { TokenCredential } from '@azure/identity';
import { systemClock, type Clock } from '../time/clock';
import type { AdoScope } from './ado-scopes';

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
  /**
   * What to say when ADO still answers 401 after `refresh`: the full explanation the first time
   * per credential version, a short reminder after, so an expired PAT makes one clear error.
   */
  rejected?(what: string, scope: AdoScope): string;
  /** What to say when ADO accepts the credential but refuses a call that needs `scope`. */
  missingScope?(what: string, scope: AdoScope): string;
}

export interface SecretRef {
  readonly vaultUrl: string;
  readonly name: string;
}

/** The part of the PAT store this module needs. */
export interface PatSource {
  get(ref: SecretRef): Promise<string>;
  refresh(ref: SecretRef): Promise<string>;
  /** The Key Vault version last read, when known. */
  version?(ref: SecretRef): string | undefined;
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
    rejected: rejectionReporter(ref, () => store.version?.(ref)),
    missingScope: (what, scope) =>
      `${scopeRefusal(what, `the PAT in Key Vault secret "${ref.name}" of ${ref.vaultUrl}`, scope)}, or store a PAT that has it as a new version of the secret ` +
      `(az keyvault secret set --vault-name ${vaultName(ref.vaultUrl)} --name ${ref.name} --value <PAT>). Reading the secret again would not help, so the scaler does not.`,
  };
}

/** The PAT is valid (ADO takes it elsewhere), so the fix is the scope, never a rotation. */
function scopeRefusal(what: string, pat: string, scope: AdoScope): string {
  return (
    `Azure DevOps refused ${what} (401) with ${pat}, which it accepts for other calls: the PAT lacks the scope ${scope.label} (${scope.id}). ` +
    `Add it to the PAT in Azure DevOps (User settings > Personal access tokens > Edit; the token stays the same)`
  );
}

function vaultName(vaultUrl: string): string {
  try {
    return new URL(vaultUrl).hostname.split('.')[0] ?? vaultUrl;
  } catch {
    return vaultUrl;
  }
}

/** The versions already explained, per credential: a new version that is rejected too gets its own explanation. */
function rejectionReporter(ref: SecretRef, version: () => string | undefined): (what: string, scope: AdoScope) => string {
  const explained = new Set<string>();
  return (what, scope) => {
    const v = version() ?? 'unknown';
    const secret = `the PAT in Key Vault secret "${ref.name}" of ${ref.vaultUrl} (version ${v})`;
    const rotate = `npm run pat:rotate -- --vault ${ref.vaultUrl} --secret ${ref.name}`;
    if (explained.has(v)) return `Azure DevOps refused ${what} (401): ${secret} is still rejected; rotate it with \`${rotate}\``;
    explained.add(v);
    return (
      `Azure DevOps rejects ${secret}, also after reading the latest version from the vault (401 on ${what}): ` +
      `the PAT has expired or was revoked. Create a new PAT with the scope ${scope.label} and store it with ` +
      `\`${rotate}\` (or az keyvault secret set); the scaler picks it up without a restart, and agents already running are not affected.`
    );
  };
}

/** A PAT given directly (the CLIs: AZURE_DEVOPS_EXT_PAT, or a new PAT being checked); nothing to refresh. */
export function fixedPatCredential(pat: string, description: string): AdoCredential {
  const header = `Basic ${Buffer.from(`:${pat}`).toString('base64')}`;
  return {
    description,
    authorization: () => Promise.resolve(header),
    agentToken: () => Promise.resolve(pat),
    refresh: () => Promise.resolve(),
    missingScope: (what, scope) => `${scopeRefusal(what, description, scope)}, or use a PAT that has it.`,
  };
}

/** Entra tokens last about an hour; renew five minutes early so a call never carries a stale one. */
const EARLY_RENEWAL_MS = 5 * 60_000;

export function entraCredential(credential: TokenCredential, now: Clock = systemClock): AdoCredential {
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
    missingScope: (what, scope) =>
      `Azure DevOps refused ${what} (401) to the Microsoft Entra identity of the function app, whose token it accepts for other calls. ` +
      `Entra tokens carry no scopes: the identity itself needs ${scope.identityNeeds}.`,
    authorization: async () => `Bearer ${await current()}`,
    agentToken: current,
    refresh: async () => {
      cached = undefined;
      await current();
    },
  };
}
