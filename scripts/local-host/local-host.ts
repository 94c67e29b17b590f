import * as fs from 'node:fs';
import * as path from 'node:path';
import { installFunctionsCoreShim, registrations, type Registration } from './functions-core-shim';
import { serveHttpFunctions } from './http-trigger';
import { printLog, type LogSink } from './invocation';
import { receiveServiceBusFunctions } from './service-bus-trigger';
import { scheduleTimerFunctions, type TimerHost } from './timer-trigger';

export interface LocalHost {
  readonly url: string;
  readonly functions: readonly Registration[];
  readonly timers: TimerHost;
  close(): Promise<void>;
}

export interface LocalHostOptions {
  /**
   * Folder of compiled function files: every .js file in it is loaded, as the host loads `main`.
   * Without it, the functions must already be imported (after installFunctionsCoreShim), as tests do.
   */
  readonly functionsDir?: string;
  readonly port?: number;
  readonly log?: LogSink;
  /** false: timers run only through `timers.run(name)`, so a test decides when a sweep happens. */
  readonly scheduleTimers?: boolean;
  /** Concurrent invocations per Service Bus function, as host.json's maxConcurrentCalls (16). */
  readonly maxConcurrentCalls?: number;
}

/**
 * What `func start` does for this app, without Core Tools: load every function file, then serve
 * HTTP triggers, fire timers on their schedules and feed Service Bus triggers. App settings must
 * already be in process.env.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  installFunctionsCoreShim();
  const log = options.log ?? printLog;
  if (options.functionsDir) {
    for (const file of fs
      .readdirSync(options.functionsDir)
      .filter((f) => f.endsWith('.js'))
      .sort()) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading function files by folder is what the host does
      require(path.join(options.functionsDir, file));
    }
  }
  const functions = [...registrations];
  if (functions.length === 0) throw new Error('no functions registered: import the function files after installFunctionsCoreShim()');
  const http = await serveHttpFunctions(functions, options.port ?? 7071, log);
  const timers = scheduleTimerFunctions(functions, log, { schedule: options.scheduleTimers ?? true });
  const serviceBus = receiveServiceBusFunctions(functions, log, process.env, options.maxConcurrentCalls ?? 16);
  return {
    url: http.url,
    functions,
    timers,
    async close() {
      timers.close();
      await Promise.all([http.close(), serviceBus.close()]);
    },
  };
}
