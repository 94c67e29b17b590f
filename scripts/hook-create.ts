import { parseArgs } from 'node:util';
import { createAdoClient } from '../src/ado/ado-client';
import { MASKED, type SubscriptionResult } from '../src/ado/service-hooks';
import { normaliseOrgUrl } from '../src/config/org-url';
import { cliAdoCredential, messageOf, readSecret, runMain, type CliIo } from './cli/cli-io';

const USAGE = `usage: npm run hook:create -- --org <organization URL> --project <name> --url <webhook URL> [--username <name>] [--dry-run]

Creates, or updates and enables, the Web Hooks subscription that sends the job state events
(ms.vss-pipelines.job-state-changed-event: waiting, running, completed) of the project to the
scaler's webhook. An existing one that filters on a job state is updated to cover them all.
  --username   the webhook's basic-auth user name; default WEBHOOK_USERNAME
  password     WEBHOOK_PASSWORD, or read from stdin (typed without echo, or piped)
  --dry-run    reads only, and prints the request it would send (password masked)
Azure DevOps auth: AZURE_DEVOPS_EXT_PAT, a PAT with Build (Read) and Project and Team (Read)
(not the pool PAT), else your Entra login; either must be allowed to edit the project's service hooks.`;

/** `npm run hook:create`: the service hook subscription the webhook expects, made idempotently. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        org: { type: 'string' },
        project: { type: 'string' },
        url: { type: 'string' },
        username: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    return usage(io, messageOf(e));
  }
  if (args.help) return usage(io);
  const missing = (['org', 'project', 'url'] as const).filter((k) => !args[k]?.trim());
  if (missing.length > 0) return usage(io, `missing ${missing.map((k) => `--${k}`).join(', ')}`);
  const org = normaliseOrgUrl(args.org!);
  if ('error' in org) return usage(io, `--org: ${org.error}`);
  const url = args.url!.trim();
  if (!/^https?:\/\/[^/\s]+\/\S*$/i.test(url))
    return usage(io, `--url: "${url}" must be the webhook function's URL, e.g. https://<app>.azurewebsites.net/api/webhook`);
  const username = (args.username ?? io.env.WEBHOOK_USERNAME ?? '').trim();
  if (!username) return usage(io, 'no webhook user name: pass --username or set WEBHOOK_USERNAME (the value the function app has)');

  // The same rule the app applies to WEBHOOK_PASSWORD, so the subscription never carries one it refuses.
  const password = io.env.WEBHOOK_PASSWORD || (await readSecret(io, 'Webhook password (the app setting WEBHOOK_PASSWORD): '));
  if (password.length < 16) {
    io.err(
      `hook:create: the webhook password is ${password ? 'shorter than 16 characters' : 'empty'}; use the function app's WEBHOOK_PASSWORD (at least 16 characters)`,
    );
    return 1;
  }
  try {
    const credential = await cliAdoCredential(io.env);
    const ado = createAdoClient({ orgUrl: org.url, credential });
    const projectId = await ado.projectId(args.project!.trim());
    const result = await ado.ensureJobStateSubscription({ url, username, password, projectId }, { dryRun: args['dry-run'] });
    for (const line of report(result, { orgUrl: org.url, project: args.project!.trim(), url, username, auth: credential.description })) io.out(line);
    return 0;
  } catch (e) {
    io.err(`hook:create: ${messageOf(e)}`);
    return 1;
  }
}

function report(result: SubscriptionResult, what: { orgUrl: string; project: string; url: string; username: string; auth: string }): string[] {
  const was = result.previousStatus ? ` (it was ${result.previousStatus}; the update enables it)` : '';
  if (result.dryRun) {
    return [
      `dry run: nothing was written. The subscription would be ${result.action}${result.id ? ` (${result.id})` : ''}${was} with:`,
      '',
      `${result.request.method} ${result.request.url}`,
      `Authorization: ${MASKED} (${what.auth})`,
      'Content-Type: application/json',
      '',
      JSON.stringify(result.request.body, null, 2),
    ];
  }
  return [
    `${result.action} service hook subscription ${result.id} in ${what.orgUrl}${was}`,
    `  job state events (waiting, running, completed) of project "${what.project}" go to ${what.url}, with basic auth as "${what.username}"`,
  ];
}

function usage(io: CliIo, problem?: string): number {
  if (problem) io.err(`hook:create: ${problem}\n`);
  io.err(USAGE);
  return problem ? 2 : 0;
}

runMain(module, main);
