import path from 'node:path';
import { parseArgs } from 'node:util';
import { TEST_TLS_DIR_ENV, testTls } from '../core/test-ca';
import { startKeyVaultEmulator } from './key-vault-emulator';
import { runEmulatorProcess, type StartedEmulator } from '../core/run-emulator-process';

// Usage: main.js [--port 0] [--secret name=value]... [--hostname h] [--tls-dir .local/tls]
// Prints one JSON line {"emulator":"key-vault","url":...,"caPath":...} once listening.
// A client in another process trusts caPath through NODE_EXTRA_CA_CERTS and must resolve the
// URL's host to 127.0.0.1 (resolveToLoopback in loopback-dns.ts), or use --hostname localhost
// with disableChallengeResourceVerification.
async function main(): Promise<StartedEmulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      secret: { type: 'string', multiple: true, default: [] },
      hostname: { type: 'string' },
      'tls-dir': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0) throw new Error(`--port must be a port number, got ${values.port}`);
  const tls = await testTls(values['tls-dir'] ?? process.env[TEST_TLS_DIR_ENV] ?? path.join('.local', 'tls'));
  const emulator = await startKeyVaultEmulator({ port, tls, ...(values.hostname ? { hostname: values.hostname } : {}) });
  for (const pair of values.secret) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error('--secret must be name=value'); // never echo: it may hold the value
    emulator.setSecret(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { close: () => emulator.close(), announce: { url: emulator.url, caPath: tls.caPath } };
}

runEmulatorProcess('key-vault', main);
