import type { OrganizationConfig, ScalerConfig } from '../config/schema';
import { errorMessage } from '../errors/error-message';
import { errorKind } from '../errors/scaler-error';
import type { Logger } from '../log/logger';
import type { Counters } from '../metrics/counters';

const PREFIX = 'Microsoft.KeyVault.';

/** One Key Vault event, in either schema and either key casing, reduced to what the scaler uses. */
export interface KeyVaultEvent {
  /** Without the `Microsoft.KeyVault.` prefix, e.g. `SecretNewVersionCreated`. */
  readonly type: string;
  /** `https://<vault>.vault.azure.net`, from the data's object id. */
  readonly vaultOrigin?: string;
  readonly vaultName?: string;
  readonly secretName?: string;
  readonly version?: string;
  readonly expiresOn?: Date;
}

export interface SecretEventDeps {
  readonly config: ScalerConfig;
  /** Reads the organization's PAT from the vault again (its credential's refresh). */
  refresh(orgUrl: string): Promise<void>;
  readonly counters: Counters;
  readonly log: Logger;
}

/**
 * Event Grid delivers an array (the webhook) or one event (the Functions trigger), in the Event
 * Grid or CloudEvents schema; `data` keys come PascalCase in Microsoft's samples (with stray
 * spaces in the docs' sample) and camelCase in the schema, EXP as a string or a number.
 */
export function keyVaultEvents(body: unknown): KeyVaultEvent[] {
  const events = Array.isArray(body) ? (body as unknown[]) : [body];
  return events.flatMap((e): KeyVaultEvent[] => {
    if (typeof e !== 'object' || e === null) return [];
    const event = e as Record<string, unknown>;
    const type = typeof event.eventType === 'string' ? event.eventType : typeof event.type === 'string' ? event.type : '';
    if (!type.startsWith(PREFIX)) return [];
    const data = normalised(event.data);
    const id = parseObjectId(data.id);
    const exp = Number(data.exp);
    const secretName = data.objectname || id?.name || (typeof event.subject === 'string' ? event.subject.trim() : '');
    return [
      {
        type: type.slice(PREFIX.length),
        ...(id ? { vaultOrigin: id.origin } : {}),
        ...(data.vaultname ? { vaultName: data.vaultname } : {}),
        ...(secretName ? { secretName } : {}),
        ...(data.version || id?.version ? { version: data.version || id?.version } : {}),
        ...(data.exp !== '' && Number.isFinite(exp) ? { expiresOn: new Date(exp * 1000) } : {}),
      },
    ];
  });
}

/**
 * New version of a PAT we use: read it now, so the next call and the next agent use it instead
 * of meeting a 401 with the cached one. Near expiry: a warning naming the secret and the date,
 * counted in status. Events for other secrets are ignored. A vault that cannot be read right
 * now throws, so Event Grid delivers the event again.
 */
export async function handleSecretEvents(body: unknown, deps: SecretEventDeps): Promise<void> {
  for (const event of keyVaultEvents(body)) {
    const orgs = organizationsUsing(deps.config, event);
    const what = `Key Vault secret "${event.secretName ?? '?'}" in ${event.vaultOrigin ?? event.vaultName ?? 'an unknown vault'}`;
    if (orgs.length === 0) {
      deps.log.info(`secret events: ${event.type} for ${what} ignored: no organization in the config uses it`);
      continue;
    }
    const users = orgs.map((o) => o.url.url).join(', ');
    const rotate = `npm run pat:rotate -- --vault ${event.vaultName ?? event.vaultOrigin ?? '<vault>'} --secret ${event.secretName ?? '<secret>'}`;
    const expiry = event.expiresOn?.toISOString() ?? 'an unknown date';
    switch (event.type) {
      case 'SecretNewVersionCreated':
        for (const org of orgs) await refresh(deps, org, what);
        deps.log.info(`secret events: ${what} has a new version ${event.version ?? ''}; read it for ${users}`);
        break;
      case 'SecretNearExpiry':
        deps.counters.increment('secretNearExpiry');
        deps.log.warn(
          `secret events: ${what}, the PAT of ${users}, expires on ${expiry}. Create a new PAT in Azure DevOps and store it with \`${rotate}\` before then; no restart is needed`,
        );
        break;
      case 'SecretExpired':
        deps.log.error(
          `secret events: ${what}, the PAT of ${users}, expired on ${expiry}; new agents cannot register until a new PAT is stored with \`${rotate}\``,
        );
        break;
      default:
        deps.log.info(`secret events: ${event.type} for ${what} needs nothing from the scaler`);
    }
  }
}

async function refresh(deps: SecretEventDeps, org: OrganizationConfig, what: string): Promise<void> {
  try {
    await deps.refresh(org.url.url);
  } catch (e) {
    // Transient: throw, so Event Grid retries. Permanent (deleted, disabled, no access): the
    // message says what to do, and retrying the event would not change it.
    if (errorKind(e) !== 'permanent') throw e;
    deps.log.error(`secret events: the new version of ${what} cannot be used for ${org.url.url}: ${errorMessage(e)}`);
  }
}

function organizationsUsing(config: ScalerConfig, event: KeyVaultEvent): OrganizationConfig[] {
  return config.organizations.filter((o) => {
    if (o.auth.kind !== 'pat' || o.auth.secretName.toLowerCase() !== event.secretName?.toLowerCase()) return false;
    const vault = new URL(o.auth.vaultUrl);
    return vault.origin.toLowerCase() === event.vaultOrigin || vault.hostname.split('.')[0]?.toLowerCase() === event.vaultName?.toLowerCase();
  });
}

/** `data` with keys trimmed and lowercased and values as trimmed strings. */
function normalised(data: unknown): Record<string, string> {
  if (typeof data !== 'object' || data === null) return {};
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k.trim().toLowerCase(), typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '']),
  );
}

/** `https://<vault>.vault.azure.net/secrets/<name>/<version>` */
function parseObjectId(id: string | undefined): { origin: string; name?: string; version?: string } | undefined {
  if (!id) return undefined;
  try {
    const url = new URL(id);
    const [kind, name, version] = url.pathname.split('/').filter(Boolean);
    return { origin: url.origin.toLowerCase(), ...(kind === 'secrets' && name ? { name } : {}), ...(kind === 'secrets' && version ? { version } : {}) };
  } catch {
    return undefined;
  }
}
