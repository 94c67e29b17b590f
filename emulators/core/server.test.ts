import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBody } from './read-body';
import { startEmulatorServer, type EmulatorServer } from './server';
import { testTls } from './test-ca';

let started: EmulatorServer[] = [];
afterEach(async () => {
  await Promise.all(started.map((s) => s.close()));
  started = [];
});

async function start(options: Omit<Parameters<typeof startEmulatorServer>[0], 'host'>): Promise<EmulatorServer> {
  const server = await startEmulatorServer(options);
  started.push(server);
  return server;
}

describe('startEmulatorServer', () => {
  it('listens on a free port of 127.0.0.1 over HTTP, or HTTPS with the test CA', async () => {
    const plain = await start({ handle: (_req, res) => void res.end('plain') });
    expect(plain.origin()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(plain.origin())).text()).toBe('plain');

    const secure = await start({ tls: await testTls(), handle: (_req, res) => void res.end('secure') });
    expect(secure.origin('localhost')).toBe(`https://localhost:${secure.port}`);
    // NODE_EXTRA_CA_CERTS (test/global-setup.ts) makes this process trust the test CA.
    expect(await (await fetch(secure.origin('localhost'))).text()).toBe('secure');
  });

  it('answers a handler that throws with 500, or the status the error carries, in the shape asked for', async () => {
    const server = await start({
      handle: async (req) => {
        if (req.url === '/big') await readBody(req, 4);
        throw new Error('boom');
      },
      errorAnswer: (err) => ({ status: err instanceof BodyTooLargeError ? 413 : 500, body: { error: { message: (err as Error).message } } }),
    });
    const boom = await fetch(`${server.origin()}/x`);
    expect([boom.status, await boom.json()]).toEqual([500, { error: { message: 'boom' } }]);
    const big = await fetch(`${server.origin()}/big`, { method: 'POST', body: 'more than four bytes' });
    expect([big.status, await big.json()]).toEqual([413, { error: { message: 'Request body is larger than 4 bytes' } }]);

    const plain = await start({
      handle: () => {
        throw Object.assign(new Error('no such organization'), { status: 404 });
      },
    });
    const missing = await fetch(plain.origin());
    expect([missing.status, await missing.json()]).toEqual([404, { message: 'no such organization' }]);
  });

  it('closes at once despite kept-alive connections, runs the teardown once, and a second close waits for the first', async () => {
    let teardowns = 0;
    const server = await startEmulatorServer({ handle: (_req, res) => void res.end('ok'), onClose: () => teardowns++ });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get(server.origin(), { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    const t0 = Date.now();
    await Promise.all([server.close(), server.close()]);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(teardowns).toBe(1);
    await expect(fetch(server.origin())).rejects.toThrow();
    agent.destroy();
  });
});
