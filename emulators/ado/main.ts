/**
 * Runs the ADO emulator as a process:
 *   node dist/emulators/ado/main.js --port 8081 --org fabrikam --pool linux --pool windows
 *   node dist/emulators/ado/main.js --config ado-emulator.json   (AdoEmulatorOptions as JSON)
 * `--pool` adds to the `--org` before it; `--token`/`--bearer-token` add accepted credentials.
 * Prints one JSON line {"emulator":"ado","url":...} once listening.
 */
import { readFileSync } from 'node:fs';
import { startAdoEmulator, type AdoEmulatorOptions, type OrganizationInput } from './ado-emulator';
import { runEmulatorProcess, type StartedEmulator } from '../core/run-emulator-process';

const DEFAULT_ORG = 'fabrikam';

function optionsFrom(argv: readonly string[]): AdoEmulatorOptions {
  let fromFile: Partial<AdoEmulatorOptions> = {};
  let port: number | undefined;
  const orgs: Array<{ name: string; pools: string[] }> = [];
  const tokens: string[] = [];
  const bearerTokens: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    i++;
    switch (flag) {
      case '--port':
        port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${value} is not a port number`);
        break;
      case '--org':
        orgs.push({ name: value, pools: [] });
        break;
      case '--pool':
        if (orgs.length === 0) orgs.push({ name: DEFAULT_ORG, pools: [] });
        orgs[orgs.length - 1]!.pools.push(value);
        break;
      case '--token':
        tokens.push(value);
        break;
      case '--bearer-token':
        bearerTokens.push(value);
        break;
      case '--config':
        fromFile = JSON.parse(readFileSync(value, 'utf8')) as Partial<AdoEmulatorOptions>;
        break;
      default:
        throw new Error(`Unknown option ${flag}: use --port, --org, --pool, --token, --bearer-token or --config`);
    }
  }
  const organizations: OrganizationInput[] = [...(fromFile.organizations ?? []), ...orgs];
  return {
    ...fromFile,
    organizations: organizations.length > 0 ? organizations : [{ name: DEFAULT_ORG, pools: ['Default'] }],
    ...(port !== undefined ? { port } : {}),
    ...(tokens.length > 0 ? { tokens: [...(fromFile.tokens ?? []), ...tokens] } : {}),
    ...(bearerTokens.length > 0 ? { bearerTokens: [...(fromFile.bearerTokens ?? []), ...bearerTokens] } : {}),
  };
}

async function main(): Promise<StartedEmulator> {
  const emulator = await startAdoEmulator(optionsFrom(process.argv.slice(2)));
  return { close: () => emulator.close(), announce: { url: emulator.url } };
}

runEmulatorProcess('ado', main);
