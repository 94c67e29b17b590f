import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gateway {
  readonly url: string;
  /** The next `count` deliveries get a 500 instead of reaching the webhook. */
  failNext(count: number): void;
  /** Every delivery gets a 500 until called with false: the webhook is down (a bad deployment, say). */
  failAll(down: boolean): void;
  close(): Promise<void>;
}

/** What sits in front of the webhook in production (a gateway, the platform): forwards, or fails on demand. */
export async function startGateway(target: string): Promise<Gateway> {
  let failures = 0;
  let down = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (down || failures > 0) {
        if (!down) failures--;
        res.writeHead(500).end();
        return;
      }
      const headers = { 'content-type': req.headers['content-type'] ?? '', authorization: req.headers.authorization ?? '' };
      fetch(target, { method: 'POST', headers, body: Buffer.concat(chunks) })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(Buffer.from(await r.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhook`,
    failNext: (count) => (failures = count),
    failAll: (value) => (down = value),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
