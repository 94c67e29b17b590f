import path from 'node:path';
import { parseArgs } from 'node:util';
import { TEST_TLS_DIR_ENV, testTls } from '../core/test-ca';
import { startKubernetesEmulator } from './kubernetes-emulator';
import { runEmulatorProcess, type StartedEmulator } from '../core/run-emulator-process';

// Usage: main.js [--port 0] [--namespace ado-agents]... [--virtual-node legacy|v2]... [--tls-dir .local/tls]
// Prints one JSON line {"emulator":"kubernetes","url":...,"caPath":...} once listening. Pods run
// until the Job is deleted (no agent process is started here); any bearer token is accepted.
async function main(): Promise<StartedEmulator> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      namespace: { type: 'string', multiple: true },
      'virtual-node': { type: 'string', multiple: true },
      'tls-dir': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0) throw new Error(`--port must be a port number, got ${values.port}`);
  const virtualNodes = values['virtual-node'] ?? ['legacy', 'v2'];
  const unknown = virtualNodes.filter((v) => v !== 'legacy' && v !== 'v2');
  if (unknown.length) throw new Error(`--virtual-node must be "legacy" or "v2", got ${unknown.join(', ')}`);
  const tls = await testTls(values['tls-dir'] ?? process.env[TEST_TLS_DIR_ENV] ?? path.join('.local', 'tls'));
  const emulator = await startKubernetesEmulator({
    port,
    tls,
    virtualNodes: virtualNodes as Array<'legacy' | 'v2'>,
    ...(values.namespace ? { namespaces: values.namespace } : {}),
  });
  return { close: () => emulator.close(), announce: { url: emulator.url, caPath: tls.caPath } };
}

runEmulatorProcess('kubernetes', main);
