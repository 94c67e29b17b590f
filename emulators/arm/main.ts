import path from 'node:path';
import { parseArgs } from 'node:util';
import { TEST_TLS_DIR_ENV, testTls } from '../core/test-ca';
import { startArmEmulator } from './arm-emulator';
import { runEmulatorProcess, type StartedEmulator } from '../core/run-emulator-process';

// Usage: main.js [--port 0] [--provisioning-delay-ms 100] [--tls-dir .local/tls]
// Prints one JSON line {"emulator":"arm","url":...,"caPath":...} once listening; give the URL
// to the ARM client as its endpoint and trust caPath through NODE_EXTRA_CA_CERTS. Accepts any
// bearer token; containers run until deleted (no agent runs in this process).
async function main(): Promise<StartedEmulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'provisioning-delay-ms': { type: 'string', default: '100' },
      'tls-dir': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0) throw new Error(`--port must be a port number, got ${values.port}`);
  const provisioningDelayMs = Number(values['provisioning-delay-ms']);
  if (!Number.isFinite(provisioningDelayMs) || provisioningDelayMs < 0) throw new Error('--provisioning-delay-ms must be a number of milliseconds');
  const tls = await testTls(values['tls-dir'] ?? process.env[TEST_TLS_DIR_ENV] ?? path.join('.local', 'tls'));
  const emulator = await startArmEmulator({ port, tls, provisioningDelay: provisioningDelayMs });
  return { close: () => emulator.close(), announce: { url: emulator.url, caPath: tls.caPath } };
}

runEmulatorProcess('arm', main);
