import { parseArgs } from 'node:util';
import { startAzuriteEmulator } from './azurite-emulator';
import { runEmulatorProcess, type StartedEmulator } from '../core/run-emulator-process';

// Usage: main.js [--port 0] [--host 127.0.0.1]
// Prints one JSON line {"emulator":"azurite","connectionString":...,"tableUrl":...} once listening,
// with the port really taken (Azurite's own CLI prints the one asked for).
async function main(): Promise<StartedEmulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
  const emulator = await startAzuriteEmulator({ port, host: values.host });
  return { close: () => emulator.close(), announce: { connectionString: emulator.connectionString, tableUrl: emulator.tableUrl } };
}

runEmulatorProcess('azurite', main);
