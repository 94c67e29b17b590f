import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestTls } from './test-ca';

/** What a failed handler answers: JSON, in the emulator's own error shape. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EmulatorServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: the emulators are for this machine only. */
  readonly host?: string;
  /** HTTPS with this certificate (the test CA's); plain HTTP without. */
  readonly tls?: TestTls;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** The answer when `handle` throws; by default `{message}` with errorStatus(error). */
  readonly errorAnswer?: (error: unknown) => ErrorAnswer;
  /** The emulator's own teardown (timers, agents), run first on close so nothing new starts. */
  readonly onClose?: () => void;
}

export interface EmulatorServer {
  readonly server: http.Server | https.Server;
  readonly port: number;
  readonly host: string;
  /** `http(s)://host:port`, `hostname` in place of the listening host when given (e.g. `localhost`). */
  origin(hostname?: string): string;
  /** Stops listening and drops kept-alive connections; a second call waits for the first. */
  close(): Promise<void>;
}

/** The status an error carries (`status` 400-599, as EmulatorError and BodyTooLargeError have), else 500. */
export function errorStatus(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}

const defaultErrorAnswer = (error: unknown): ErrorAnswer => ({
  status: errorStatus(error),
  body: { message: error instanceof Error ? error.message : String(error) },
});

export async function startEmulatorServer(options: EmulatorServerOptions): Promise<EmulatorServer> {
  const errorAnswer = options.errorAnswer ?? defaultErrorAnswer;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const fail = (error: unknown) => {
      // Half an answer cannot be taken back: cut the connection so the client sees a failure.
      if (res.headersSent) return void res.destroy();
      const answer = errorAnswer(error);
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    };
    try {
      Promise.resolve(options.handle(req, res)).catch(fail);
    } catch (error) {
      fail(error);
    }
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : http.createServer(listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';
  let closing: Promise<void> | undefined;

  return {
    server,
    port,
    host,
    origin: (hostname = host) => `${scheme}://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`,
    close: () =>
      (closing ??= (async () => {
        let teardownError: Error | undefined;
        try {
          options.onClose?.();
        } catch (error) {
          // Still close the server, then report it.
          teardownError = error instanceof Error ? error : new Error('emulator teardown failed', { cause: error });
        }
        await new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          // Clients keep connections alive; without this close() waits for them to idle out.
          server.closeAllConnections();
        });
        if (teardownError) throw teardownError;
      })()),
  };
}
