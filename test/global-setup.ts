import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TEST_TLS_DIR_ENV, testTls } from '../emulators/core/test-ca';

/**
 * Vitest global setup: creates the test CA in `.local/tls/` (or TEST_TLS_DIR) in the main
 * process before workers fork. Node reads NODE_EXTRA_CA_CERTS only at startup, so setting it
 * here is what makes the real SDK clients in the workers trust the HTTPS emulators, with no
 * TLS option in production code. TEST_TLS_DIR tells the emulators in the workers which
 * CA-signed certificate to serve.
 */
export default async function setup(): Promise<void> {
  const dir = path.resolve(process.env[TEST_TLS_DIR_ENV] ?? path.join('.local', 'tls'));
  const tls = await testTls(dir);
  if (!tls.caPath) throw new Error(`test CA was not persisted in ${dir}`);
  process.env[TEST_TLS_DIR_ENV] = dir;
  process.env.NODE_EXTRA_CA_CERTS = await trustBundle(dir, tls.caPath, tls.caPem);
}

/** Keeps a CA the developer already trusts through NODE_EXTRA_CA_CERTS (a corporate proxy, say). */
async function trustBundle(dir: string, caPath: string, caPem: string): Promise<string> {
  const bundlePath = path.join(dir, 'extra-ca-certs.pem');
  const existing = process.env.NODE_EXTRA_CA_CERTS;
  if (existing === bundlePath) return bundlePath; // set by an earlier run in this process
  if (!existing || existing === caPath) return caPath;
  const theirs = await readFile(existing, 'utf8').catch(() => undefined);
  if (theirs === undefined) return caPath; // unreadable: Node ignores it too, with a warning
  await writeFile(bundlePath, `${theirs.trimEnd()}\n${caPem}`);
  return bundlePath;
}
