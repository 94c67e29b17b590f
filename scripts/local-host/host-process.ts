import * as path from 'node:path';
import { errorMessage } from '../../src/errors/error-message';
import { resolveToLoopback } from '../../emulators/key-vault/loopback-dns';
import { printLog } from './invocation';
import { startLocalHost } from './local-host';

/**
 * The local Functions host as a process of its own, so that a run can kill and restart it while
 * the emulators keep running in another (`npm run chaos`). Configured by the environment: the
 * app settings, as `func start` takes them, plus
 *   LOCAL_HOST_PORT       the port, fixed so that a service hook subscription's URL stays valid
 *   LOCAL_HOST_FUNCTIONS  the folder of compiled function files (default: dist/functions)
 *   LOCAL_HOST_LOOPBACK   comma-separated host names resolved to 127.0.0.1 here (the Key Vault
 *                         emulator's vault-like host, see key-vault/loopback-dns.ts)
 * The HTTPS emulators' CA is trusted through NODE_EXTRA_CA_CERTS. Logs go to stdout/stderr.
 * Over an IPC channel (child_process.fork) it sends `{kind: 'ready', url}` once it listens and
 * runs a timer function on `{kind: 'run-timer', id, name}`, answering `{kind: 'timer-done', id, error?}`.
 */
export interface RunTimerMessage {
  readonly kind: 'run-timer';
  readonly id: number;
  readonly name: string;
}

export type HostMessage = { readonly kind: 'ready'; readonly url: string } | { readonly kind: 'timer-done'; readonly id: number; readonly error?: string };

const root = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  for (const host of (process.env.LOCAL_HOST_LOOPBACK ?? '').split(',').filter(Boolean)) resolveToLoopback(host.trim());
  const port = Number(process.env.LOCAL_HOST_PORT ?? 7071);
  const functionsDir = process.env.LOCAL_HOST_FUNCTIONS ?? path.join(root, 'dist', 'functions');
  const host = await startLocalHost({ functionsDir, port, scheduleTimers: true, log: printLog });
  console.log(
    `[${new Date().toISOString()}] host information: listening on ${host.url} (pid ${process.pid}); functions: ${host.functions.map((f) => f.name).join(', ')}`,
  );
  const send = (message: HostMessage) => process.send?.(message);
  process.on('message', (message: RunTimerMessage) => {
    if (message?.kind !== 'run-timer') return;
    host.timers.run(message.name).then(
      () => send({ kind: 'timer-done', id: message.id }),
      (e: unknown) => send({ kind: 'timer-done', id: message.id, error: errorMessage(e) }),
    );
  });
  send({ kind: 'ready', url: host.url });
  const stop = () => {
    void host.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The parent going away (IPC closed) ends the host too, so no orphan keeps the port.
  process.once('disconnect', stop);
}

main().catch((e: unknown) => {
  console.error(`host: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
