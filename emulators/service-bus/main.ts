import { parseArgs } from 'node:util';
import { startServiceBusEmulator } from './service-bus-emulator';
import { runEmulatorProcess, type StartedEmulator } from '../core/run-emulator-process';

/**
 * Runs the emulator as a process:
 *   node main.js --port 5672 --queue launch-requests [--queue other] [--host 127.0.0.1]
 * Prints one JSON line with the connection string, then serves until SIGINT/SIGTERM.
 */
async function main(): Promise<StartedEmulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      queue: { type: 'string', multiple: true, default: [] },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer between 0 and 65535, got '${values.port}'.`);
  }
  if (values.queue.length === 0) {
    throw new Error('Give at least one --queue <name>; the emulator only knows the queues it is started with.');
  }
  const emulator = await startServiceBusEmulator({
    port,
    host: values.host,
    queues: values.queue.map((name) => ({ name })),
  });
  return { close: () => emulator.close(), announce: { connectionString: emulator.connectionString } };
}

runEmulatorProcess('service-bus', main);
