import { parseArgs } from 'node:util';
import { startIdentityEmulator } from './identity-emulator';
import { runEmulatorProcess, type StartedEmulator } from '../core/run-emulator-process';

// Usage: main.js [--port 0] [--header secret] [--lifetime 3600]
// Prints one JSON line {"emulator":"identity","endpoint":...,"env":{IDENTITY_ENDPOINT,IDENTITY_HEADER}}
// once listening; put `env` into the environment of the process that uses the credential.
async function main(): Promise<StartedEmulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      header: { type: 'string' },
      lifetime: { type: 'string', default: '3600' },
    },
  });
  const port = Number(values.port);
  const tokenLifetimeSeconds = Number(values.lifetime);
  if (!Number.isInteger(port) || port < 0) throw new Error(`--port must be a port number, got ${values.port}`);
  if (!Number.isInteger(tokenLifetimeSeconds) || tokenLifetimeSeconds <= 0) throw new Error('--lifetime must be seconds');
  const emulator = await startIdentityEmulator({ port, tokenLifetimeSeconds, ...(values.header ? { header: values.header } : {}) });
  return { close: () => emulator.close(), announce: { endpoint: emulator.endpoint, env: emulator.env } };
}

runEmulatorProcess('identity', main);
