import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import type { HostMessage, RunTimerMessage } from '../local-host/host-process';

export interface HostSupervisorOptions {
  /** The environment of every host process: app settings, NODE_EXTRA_CA_CERTS, LOCAL_HOST_*. */
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  /** Each incarnation's stdout and stderr go to `{logDir}/host-{n}.log`. */
  readonly logDir: string;
  /** How long a host may take to load the functions and listen. */
  readonly readyTimeoutMs?: number;
}

/** The Functions host as a child process that can be killed (SIGKILL) and started again on the same port. */
export interface HostSupervisor {
  /** http://127.0.0.1:PORT, the same for every incarnation. */
  readonly url: string;
  /** Log files written so far, one per incarnation. */
  readonly logFiles: readonly string[];
  /** Starts an incarnation and waits until it listens. */
  start(): Promise<{ pid: number; startedInMs: number }>;
  /** SIGKILL, as a crashed or recycled instance: no cleanup, locks and leases left held. */
  kill(): Promise<number | undefined>;
  /** Runs a timer function in the current incarnation, as the portal's "Test/Run" does. */
  runTimer(name: string): Promise<void>;
  /** SIGTERM, the host closes its clients. */
  stop(): Promise<void>;
}

const HOST_ENTRY = path.join(__dirname, '..', 'local-host', 'host-process.js');

export function hostSupervisor(options: HostSupervisorOptions): HostSupervisor {
  const logFiles: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let nextId = 1;
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  const failPending = (why: string) => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(new Error(why));
    }
  };

  return {
    url: `http://127.0.0.1:${options.port}`,
    logFiles,
    async start() {
      if (child) throw new Error('a host process is already running');
      const file = path.join(options.logDir, `host-${logFiles.length + 1}.log`);
      logFiles.push(file);
      const fd = openSync(file, 'w');
      const began = Date.now();
      const proc = fork(HOST_ENTRY, [], {
        env: { ...options.env, LOCAL_HOST_PORT: String(options.port) },
        stdio: ['ignore', fd, fd, 'ipc'],
      });
      closeSync(fd);
      child = proc;
      exited = new Promise((resolve) =>
        proc.once('exit', (code, signal) => {
          if (child === proc) child = undefined;
          failPending(`the host process exited (${signal ?? `code ${String(code)}`})`);
          resolve();
        }),
      );
      proc.on('message', (message: HostMessage) => {
        if (message.kind !== 'timer-done') return;
        const p = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) p?.reject(new Error(message.error));
        else p?.resolve();
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the host did not listen within ${options.readyTimeoutMs ?? 60_000} ms; see ${file}`)),
          options.readyTimeoutMs ?? 60_000,
        );
        proc.on('message', (message: HostMessage) => {
          if (message.kind !== 'ready') return;
          clearTimeout(timer);
          resolve();
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the host process exited with code ${String(code)} before listening; see ${file}`));
        });
      });
      return { pid: proc.pid ?? 0, startedInMs: Date.now() - began };
    },
    async kill() {
      const proc = child;
      if (!proc) return undefined;
      proc.kill('SIGKILL');
      await exited;
      return proc.pid;
    },
    runTimer(name) {
      const proc = child;
      if (!proc) return Promise.reject(new Error(`no host process to run ${name}`));
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        proc.send({ kind: 'run-timer', id, name } satisfies RunTimerMessage);
      });
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port free now, for every incarnation of the host (the subscription's URL names it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
