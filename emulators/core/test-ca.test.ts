import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { testTls } from './test-ca';

const scratch = mkdtemp(path.join(tmpdir(), 'test-ca-'));

afterAll(async () => rm(await scratch, { recursive: true, force: true }));

/** Completes a TLS handshake to `servername` trusting only the CA, or rejects. */
function handshake(port: number, servername: string, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // For an IP, Node checks the certificate against the connected address instead of SNI.
    const sni = isIP(servername) ? {} : { servername };
    const socket = tls.connect({ host: '127.0.0.1', port, ca, ...sni }, () => {
      socket.end();
      resolve();
    });
    socket.on('error', reject);
  });
}

describe('test CA', () => {
  it('signs a server certificate for localhost, 127.0.0.1 and *.vault.azure.net', async () => {
    const material = await testTls(path.join(await scratch, 'a'));
    const server = https.createServer({ key: material.key, cert: material.cert }, (_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      await handshake(port, 'localhost', material.caPem);
      await handshake(port, 'emulator.vault.azure.net', material.caPem);
      await handshake(port, '127.0.0.1', material.caPem);
      await expect(handshake(port, 'example.com', material.caPem)).rejects.toThrow(/altnames/i);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('persists once per directory and hands the same CA to later callers', async () => {
    const dir = path.join(await scratch, 'b');
    const [first, second] = await Promise.all([testTls(dir), testTls(dir)]);
    expect(second).toBe(first);
    expect(first.caPath).toBe(path.join(dir, 'ca.pem'));
    expect(await readFile(first.caPath!, 'utf8')).toBe(first.caPem);
  });

  it('replaces an unusable persisted set', async () => {
    const dir = path.join(await scratch, 'c');
    const good = await testTls(path.join(await scratch, 'c-source'));
    await mkdir(dir);
    for (const file of ['ca.pem', 'ca-key.pem', 'server-key.pem']) await writeFile(path.join(dir, file), 'stale');
    await writeFile(path.join(dir, 'server-cert.pem'), good.cert); // signed by another CA

    const replaced = await testTls(dir);
    expect(replaced.caPem).toContain('BEGIN CERTIFICATE');
    expect(await readFile(path.join(dir, 'ca.pem'), 'utf8')).toBe(replaced.caPem);
  });
});
