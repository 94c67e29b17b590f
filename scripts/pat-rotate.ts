import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAdoClient } from '../src/ado/ado-client';
import { fixedPatCredential } from '../src/ado/ado-credential';
import type { ConfigProblem } from '../src/config/config-error';
import { parseConfig } from '../src/config/load-settings';
import { normaliseOrgUrl } from '../src/config/org-url';
import { messageOf, readSecret, runMain, type CliIo } from './cli/cli-io';

const USAGE = `usage: npm run pat:rotate -- --vault <vault name or URL> --secret <name> [--expires <date>] [--org <organization URL> --pool <name>]

Reads the new PAT from stdin (typed without echo, or piped), checks that it can list the pool's
job requests in Azure DevOps, and only then stores it as a new version of the Key Vault secret.
  --expires   the PAT's expiry (e.g. 2026-03-31), set as the secret's expiry, so Key Vault warns before it
  --org/--pool  where to check it; default: every pool of the organizations in the scaler's
              config (SCALER_CONFIG or SCALER_CONFIG_FILE) that use this secret
Key Vault auth: your Microsoft Entra login (az login), with a role that may set secrets.`;

interface Target {
  readonly orgUrl: string;
  readonly pool: string;
}

/** `npm run pat:rotate`: a new PAT into Key Vault, checked first, never echoed. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        vault: { type: 'string' },
        secret: { type: 'string' },
        expires: { type: 'string' },
        org: { type: 'string' },
        pool: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    return usage(io, messageOf(e));
  }
  if (args.help) return usage(io);
  if (!args.vault?.trim() || !args.secret?.trim()) return usage(io, 'missing --vault or --secret');
  const vaultUrl = vaultUrlOf(args.vault.trim());
  if (!vaultUrl) return usage(io, `--vault: "${args.vault}" is neither a vault name nor https://<vault>.vault.azure.net`);
  const name = args.secret.trim();
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return usage(io, `--secret: "${name}" is not a Key Vault secret name (letters, digits, dashes)`);
  const expiresOn = args.expires ? new Date(args.expires) : undefined;
  if (expiresOn && (Number.isNaN(expiresOn.getTime()) || expiresOn.getTime() <= Date.now())) {
    return usage(io, `--expires: "${args.expires}" is not a future date, e.g. 2026-03-31`);
  }
  const targets = args.org || args.pool ? fromArgs(args.org, args.pool) : fromConfig(io.env, vaultUrl, name);
  if (typeof targets === 'string') return usage(io, targets);

  const pat = await readSecret(io, `New PAT for secret "${name}" (input hidden): `);
  if (!pat) {
    io.err('pat:rotate: no PAT on stdin; nothing was written');
    return 1;
  }
  // A message must never carry the PAT, whatever a library put into it.
  const safe = (text: string) => text.split(pat).join('********');
  try {
    for (const target of targets) {
      const ado = createAdoClient({ orgUrl: target.orgUrl, credential: fixedPatCredential(pat, 'the new PAT') });
      await ado.jobRequests(await ado.poolId(target.pool));
    }
  } catch (e) {
    io.err(safe(`pat:rotate: the new PAT was not written to Key Vault: ${messageOf(e)}`));
    return 1;
  }
  try {
    const [{ SecretClient }, { DefaultAzureCredential }] = await Promise.all([import('@azure/keyvault-secrets'), import('@azure/identity')]);
    const client = new SecretClient(vaultUrl, new DefaultAzureCredential());
    const stored = await client.setSecret(name, pat, expiresOn ? { expiresOn } : {});
    const checked = targets.map((t) => `pool "${t.pool}" of ${t.orgUrl}`).join(', ');
    io.out(
      `stored the new PAT as version ${stored.properties.version ?? '?'} of secret "${name}" in ${vaultUrl}${expiresOn ? `, expiring ${expiresOn.toISOString()}` : ''}`,
    );
    io.out(
      `  checked against ${checked}. The scaler reads it on the Key Vault event, or at its next 401; revoke the old PAT once agents started before now have registered.`,
    );
    return 0;
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    const hint = status === 403 ? ' Setting secrets needs the "Key Vault Secrets Officer" role on the vault.' : '';
    io.err(
      safe(
        `pat:rotate: Key Vault did not store the new version of "${name}" in ${vaultUrl} (${status ?? 'no answer'}): ${messageOf(e).split('\n')[0]}.${hint}`,
      ),
    );
    return 1;
  }
}

/** A bare name is the public cloud's vault of that name. */
function vaultUrlOf(vault: string): string | undefined {
  if (/^[a-zA-Z][a-zA-Z0-9-]{1,22}$/.test(vault)) return `https://${vault.toLowerCase()}.vault.azure.net`;
  try {
    const url = new URL(vault);
    return url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function fromArgs(org: string | undefined, pool: string | undefined): Target[] | string {
  if (!org || !pool) return '--org and --pool go together';
  const url = normaliseOrgUrl(org);
  return 'error' in url ? `--org: ${url.error}` : [{ orgUrl: url.url, pool }];
}

/** Every pool of every organization whose auth is this secret, from the scaler's own config. */
function fromConfig(env: CliIo['env'], vaultUrl: string, name: string): Target[] | string {
  const inline = env.SCALER_CONFIG?.trim();
  const file = env.SCALER_CONFIG_FILE?.trim();
  if (!inline && !file) return 'pass --org and --pool, or set SCALER_CONFIG / SCALER_CONFIG_FILE to find the organizations that use the secret';
  const problems: ConfigProblem[] = [];
  let config;
  try {
    config = parseConfig(JSON.parse(inline || readFileSync(file!, 'utf8')), problems);
  } catch (e) {
    return `the scaler config cannot be read (${messageOf(e)}); pass --org and --pool`;
  }
  if (!config) return `the scaler config is invalid (${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}); pass --org and --pool`;
  const targets = config.organizations.flatMap((o) =>
    o.auth.kind === 'pat' && new URL(o.auth.vaultUrl).origin === vaultUrl && o.auth.secretName.toLowerCase() === name.toLowerCase()
      ? o.pools.map((p) => ({ orgUrl: o.url.url, pool: p.name }))
      : [],
  );
  return targets.length > 0 ? targets : `no organization in the scaler config uses secret "${name}" of ${vaultUrl}; pass --org and --pool`;
}

function usage(io: CliIo, problem?: string): number {
  if (problem) io.err(`pat:rotate: ${problem}\n`);
  io.err(USAGE);
  return problem ? 2 : 0;
}

runMain(module, main);
