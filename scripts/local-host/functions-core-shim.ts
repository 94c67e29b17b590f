import Module from 'node:module';
import * as path from 'node:path';

/**
 * Outside the Functions host, `@azure/functions` looks for the host's `@azure/functions-core`
 * module and, not finding it, skips every registration. The local host answers that lookup with
 * this module's exports, so it receives exactly the metadata (bindings, routes, schedules, queue
 * names) the real host would, from the unchanged function files.
 */
export interface Binding {
  readonly type: string;
  readonly direction?: string;
  readonly [setting: string]: unknown;
}

export interface Registration {
  readonly name: string;
  readonly bindings: Readonly<Record<string, Binding>>;
  readonly handler: (...args: unknown[]) => unknown;
}

export const registrations: Registration[] = [];

const coreApi = {
  setProgrammingModel(): void {},
  registerFunction(metadata: { name: string; bindings: Record<string, Binding> }, handler: Registration['handler']) {
    registrations.push({ name: metadata.name, bindings: metadata.bindings, handler });
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
};

const CORE = '@azure/functions-core';
let installed = false;

export function installFunctionsCoreShim(): void {
  if (installed) return;
  installed = true;
  const shimPath = path.join(__dirname, '__functions-core__.js');
  const loader = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === CORE ? shimPath : resolve.call(this, request, ...rest);
  };
  const shim = new Module(shimPath);
  shim.exports = coreApi;
  shim.loaded = true;
  loader._cache[shimPath] = shim;
}

export function triggerOf(r: Registration): Binding {
  const trigger = Object.values(r.bindings).find((b) => /trigger$/i.test(b.type));
  if (!trigger) throw new Error(`function ${r.name} has no trigger binding`);
  return trigger;
}
