import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { deliverEventGrid, EVENT_GRID_PATH } from './event-grid-trigger';
import { triggerOf, type Registration } from './functions-core-shim';
import { invocationContext, type LogSink } from './invocation';

// The Functions host's own request size limit; smaller limits are the functions' business.
const HOST_MAX_BODY = 100 * 1024 * 1024;

/** Serves http-triggered functions under /api/{route}, and Event Grid deliveries, as `func start` does (no key checks). */
export async function serveHttpFunctions(registrations: readonly Registration[], port: number, log: LogSink): Promise<{ url: string; close(): Promise<void> }> {
  const routes = registrations
    .filter((r) => triggerOf(r).type === 'httpTrigger')
    .map((r) => {
      const t = triggerOf(r);
      return {
        r,
        route: ((t.route as string | undefined) ?? r.name).toLowerCase(),
        methods: ((t.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
      };
    });
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      if (url.pathname.toLowerCase() === EVENT_GRID_PATH) return send(res, await deliverEventGrid(registrations, url, req, log));
      const path = url.pathname
        .replace(/^\/api\//i, '')
        .replace(/\/+$/, '')
        .toLowerCase();
      const match = routes.find((x) => x.route === path);
      if (!match) return send(res, { status: 404, jsonBody: { error: `no function at ${url.pathname}` } });
      if (!match.methods.includes(req.method ?? 'GET')) return send(res, { status: 405 });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > HOST_MAX_BODY) return send(res, { status: 413 });
        chunks.push(chunk);
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const request = new HttpRequest({
        method: req.method ?? 'GET',
        url: url.toString(),
        headers,
        query: Object.fromEntries(url.searchParams),
        ...(chunks.length ? { body: { bytes: Buffer.concat(chunks) } } : {}),
      });
      try {
        const result = (await match.r.handler(request, invocationContext(match.r.name, log))) as HttpResponseInit | undefined;
        await send(res, result ?? { status: 204 });
      } catch (e) {
        log('error', match.r.name, e instanceof Error ? (e.stack ?? e.message) : String(e));
        await send(res, { status: 500 });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function send(res: http.ServerResponse, init: HttpResponseInit): Promise<void> {
  const response = new HttpResponse(init);
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(body);
}
