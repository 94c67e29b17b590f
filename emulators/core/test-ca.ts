import { X509Certificate, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

/** A test CA and a server certificate it signed, for the HTTPS emulators. */
export interface TestTls {
  caPem: string;
  /** Where the CA is persisted; hand it to client processes as NODE_EXTRA_CA_CERTS. */
  caPath?: string;
  caKey: string;
  key: string;
  cert: string;
}

/** Set by the vitest global setup so workers reuse the CA their NODE_EXTRA_CA_CERTS trusts. */
export const TEST_TLS_DIR_ENV = 'TEST_TLS_DIR';

/**
 * Names the server certificate covers. `*.vault.azure.net` lets the Key Vault emulator use a
 * real-looking vault host: the SDK only sends tokens to hosts under the challenge's resource.
 */
export const SERVER_DNS_NAMES = ['localhost', '*.vault.azure.net'];
export const SERVER_IPS = ['127.0.0.1', '::1'];

const FILES = { caPem: 'ca.pem', caKey: 'ca-key.pem', key: 'server-key.pem', cert: 'server-cert.pem' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const cached = new Map<string, Promise<TestTls>>();

/**
 * The process's test TLS material, generated once. With a directory (argument or
 * TEST_TLS_DIR) it is loaded from there or created there, so every process of a test run
 * shares one CA; without one it lives in memory only and `caPath` is undefined.
 */
export function testTls(dir: string | undefined = process.env[TEST_TLS_DIR_ENV]): Promise<TestTls> {
  const key = dir ? path.resolve(dir) : '';
  let tls = cached.get(key);
  if (!tls) {
    tls = key ? loadOrCreate(key) : generateTls();
    cached.set(key, tls);
    // A failed attempt must not poison the cache for the rest of the process.
    tls.catch(() => cached.delete(key));
  }
  return tls;
}

async function loadOrCreate(dir: string): Promise<TestTls> {
  const existing = await readTls(dir);
  if (existing && isUsable(existing)) return existing;
  if (existing) await rm(dir, { recursive: true, force: true });

  const fresh = await generateTls();
  await mkdir(path.dirname(dir), { recursive: true });
  // Write aside and rename: a directory rename is atomic, so concurrent processes either
  // see a complete set or none, and a loser adopts the winner's CA instead of its own.
  const staging = `${dir}.${process.pid}.${randomUUID()}.tmp`;
  await mkdir(staging);
  for (const [field, file] of Object.entries(FILES)) {
    await writeFile(path.join(staging, file), fresh[field as keyof typeof FILES], { mode: 0o600 });
  }
  try {
    await rename(staging, dir);
    return { ...fresh, caPath: path.join(dir, FILES.caPem) };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const winner = await readTls(dir);
    if (winner) return winner;
    throw err;
  }
}

async function readTls(dir: string): Promise<TestTls | undefined> {
  try {
    const read = (file: string) => readFile(path.join(dir, file), 'utf8');
    const [caPem, caKey, key, cert] = await Promise.all([read(FILES.caPem), read(FILES.caKey), read(FILES.key), read(FILES.cert)]);
    return { caPem, caKey, key, cert, caPath: path.join(dir, FILES.caPem) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A persisted set is replaced when it expires soon or predates a name added here. */
function isUsable(tls: TestTls): boolean {
  try {
    const cert = new X509Certificate(tls.cert);
    const ca = new X509Certificate(tls.caPem);
    const lastsADay = Date.parse(cert.validTo) > Date.now() + DAY_MS && Date.parse(ca.validTo) > Date.now() + DAY_MS;
    const namesCovered =
      SERVER_DNS_NAMES.every((name) => cert.checkHost(name.replace('*', 'probe')) !== undefined) && SERVER_IPS.every((ip) => cert.checkIP(ip) !== undefined);
    return lastsADay && namesCovered && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

async function generateTls(): Promise<TestTls> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000); // tolerate clock skew between processes
  const notAfterDate = new Date(Date.now() + 365 * DAY_MS);
  const validity = { keyType: 'ec' as const, algorithm: 'sha256', notBeforeDate, notAfterDate };
  const ca = await generate([{ name: 'commonName', value: 'ado-agent-scaler test CA' }], {
    ...validity,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...validity,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...SERVER_DNS_NAMES.map((value) => ({ type: 2 as const, value })), ...SERVER_IPS.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { caPem: ca.cert, caKey: ca.private, key: server.private, cert: server.cert };
}
