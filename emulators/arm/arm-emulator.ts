import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { testTls, type TestTls } from '../core/test-ca';
import { errorBody, faultError, type ArmError } from './arm-errors';
import { ContainerGroupStore, type CreateRateLimit, type Quotas, type StartAgent } from './container-groups';
import type { Latency } from '../core/latency';
import type { StoredGroup } from './group-shapes';
import { containerGroupsApi, type ApiAnswer } from './container-groups-api';
import { readBody } from '../core/read-body';
import type { ProvisioningFailure } from './provisioning-failures';

export type { StartAgent, StartedContainer, RunningAgent, Quotas, CreateRateLimit } from './container-groups';
export type { StoredGroup, GroupFailure } from './group-shapes';
export type { ProvisioningFailure } from './provisioning-failures';

export interface ArmEmulatorOptions {
  port?: number;
  /**
   * Bearer tokens to accept; any token when absent. The ARM SDK asks for `${endpoint}/.default`,
   * so with the emulator as endpoint the token's resource is the emulator's own URL.
   */
  acceptToken?: (token: string) => boolean;
  /** Runs the agent in a container that reached Running; its exit terminates the container. */
  startAgent?: StartAgent;
  /**
   * Pending → Running after this long, drawn anew for each created or redeployed group (a bare
   * number is fixed milliseconds); 100 ms by default.
   */
  provisioningDelay?: Latency;
  /** The generator for every latency draw (uniform on [0, 1)); Math.random by default. */
  random?: () => number;
  /** Milliseconds since the epoch, for start/finish/created times. */
  clock?: () => number;
  /** Container groups per list page (ARM pages by nextLink); 20 by default. */
  pageSize?: number;
  /** Resource groups that exist (case-insensitive); any name when absent. */
  resourceGroups?: string[];
  /** Per-region ACI quotas enforced on create; unlimited when absent. */
  quotas?: Quotas;
  /**
   * ACI's create-rate limit: a create of a new group beyond `count` creates within the sliding
   * `windowMs` (by `clock`) gets 429 `ResourceRequestsThrottled` with Retry-After. Redeploys of an
   * existing name and refused creates do not count. Unlimited when absent.
   */
  createRateLimit?: CreateRateLimit;
  tls?: TestTls;
}

export interface ArmFault {
  status: number;
  /** e.g. 'ContainerGroupQuotaReached', 'ServiceUnavailable'; a status-specific default otherwise. */
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
  count: number;
  method?: string;
  pathContains?: string;
}

export interface ArmRequest {
  method: string;
  path: string;
  /** The raw query string without `?`. */
  query: string;
  status: number;
  /** Raw request body text ('' when none). */
  body: string;
  /** Request headers, with the bearer token replaced by `Bearer <token>`. */
  headers: Record<string, string>;
  responseBody: string;
  responseHeaders: Record<string, string>;
  injected?: boolean;
}

export interface ArmEmulator {
  /** The ARM endpoint, e.g. https://localhost:41234 */
  url: string;
  groups(): StoredGroup[];
  requests(): ArmRequest[];
  injectFault(fault: ArmFault): void;
  /**
   * The next `count` matching creates or redeploys are accepted (201, Pending) and then fail: the
   * create operation ends `Failed` and the group stays with provisioningState `Failed`.
   */
  injectProvisioningFailure(failure: ProvisioningFailure): void;
  /** Clears injected faults and provisioning failures. */
  clearFaults(): void;
  /** Makes the group's container exit with `exitCode`, as a finished one-shot agent does. */
  finish(name: string, exitCode: number): void;
  /**
   * Holds every request whose path contains `pathContains` (after it has been acted on, before
   * its answer) until the returned function is called: a consumer can be stopped exactly
   * between "ARM did it" and "the caller learnt it".
   */
  holdAnswers(pathContains: string, method?: string): () => void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startArmEmulator(options: ArmEmulatorOptions = {}): Promise<ArmEmulator> {
  const tls = options.tls ?? (await testTls());
  const store = new ContainerGroupStore({
    provisioningDelay: options.provisioningDelay ?? 100,
    random: options.random ?? Math.random,
    clock: options.clock ?? Date.now,
    ...(options.startAgent ? { startAgent: options.startAgent } : {}),
    ...(options.quotas ? { quotas: options.quotas } : {}),
    ...(options.createRateLimit ? { createRateLimit: options.createRateLimit } : {}),
  });
  const log: ArmRequest[] = [];
  const faults: ArmFault[] = [];
  const holds: Array<{ pathContains: string; method?: string; released: Promise<void> }> = [];
  let url = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'https://arm.invalid');
    const method = req.method ?? 'GET';
    let body = '';
    const send = (answer: ApiAnswer, injected = false) => {
      const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
      const headers: Record<string, string> = {
        'x-ms-request-id': randomUUID(),
        'x-ms-correlation-request-id': randomUUID(),
        ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...answer.headers,
      };
      log.push({
        method,
        path: parsed.pathname,
        query: parsed.search.replace(/^\?/, ''),
        status: answer.status,
        body,
        headers: redactedHeaders(req),
        responseBody: text,
        responseHeaders: headers,
        ...(injected ? { injected } : {}),
      });
      res.writeHead(answer.status, headers);
      res.end(text);
    };
    const fail = (error: ArmError, injected = false) => send({ status: error.status, body: errorBody(error), headers: error.headers ?? {} }, injected);
    try {
      body = await readBody(req, MAX_BODY_BYTES);
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined) {
        return fail({
          status: 401,
          code: 'AuthenticationFailed',
          message: "Authentication failed. The 'Authorization' header is missing.",
          headers: { 'www-authenticate': wwwAuthenticate('invalid_token', 'The access token is missing.') },
        });
      }
      if (options.acceptToken && !options.acceptToken(token)) {
        return fail({
          status: 401,
          code: 'InvalidAuthenticationToken',
          message: 'The access token is invalid.',
          headers: { 'www-authenticate': wwwAuthenticate('invalid_token', 'The access token is invalid.') },
        });
      }
      if (!parsed.searchParams.get('api-version')) {
        return fail({
          status: 400,
          code: 'MissingApiVersionParameter',
          message: 'The api-version query parameter (?api-version=) is required for all requests.',
        });
      }
      const fault = takeFault(faults, method, parsed.pathname);
      if (fault) {
        const subscriptionId = /\/subscriptions\/([^/]+)/i.exec(parsed.pathname)?.[1] ?? '';
        return fail(faultError(fault, { subscriptionId, write: method !== 'GET', region: regionHint(body) }), true);
      }
      const answer = containerGroupsApi(store, {
        url,
        method,
        path: parsed.pathname,
        query: parsed.searchParams,
        body,
        pageSize: options.pageSize ?? 20,
        resourceGroups: options.resourceGroups,
      });
      for (const hold of holds.filter((h) => (!h.method || h.method === method) && parsed.pathname.toLowerCase().includes(h.pathContains.toLowerCase())))
        await hold.released;
      send(answer);
    } catch (err) {
      fail({ status: 500, code: 'InternalServerError', message: `ARM emulator failed: ${(err as Error).message}` });
    }
  }

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  url = `https://localhost:${port}`;

  return {
    url,
    groups: () => store.all(),
    requests: () => [...log],
    injectFault: (fault) => void faults.push({ ...fault }),
    injectProvisioningFailure: (failure) => store.injectProvisioningFailure(failure),
    clearFaults: () => {
      faults.splice(0);
      store.clearProvisioningFailures();
    },
    holdAnswers: (pathContains, method) => {
      let release = () => {};
      const hold = { pathContains, ...(method ? { method } : {}), released: new Promise<void>((r) => (release = r)) };
      holds.push(hold);
      return () => {
        holds.splice(holds.indexOf(hold), 1);
        release();
      };
    },
    finish: (name, exitCode) => {
      if (!store.finish(name, exitCode)) throw new Error(`no container group named ${name}`);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        store.close();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function takeFault(faults: ArmFault[], method: string, path: string): ArmFault | undefined {
  const i = faults.findIndex(
    (f) => f.count > 0 && (!f.method || f.method.toUpperCase() === method) && (!f.pathContains || path.toLowerCase().includes(f.pathContains.toLowerCase())),
  );
  const fault = faults[i];
  if (!fault) return undefined;
  fault.count -= 1;
  if (fault.count <= 0) faults.splice(i, 1);
  return fault;
}

function regionHint(body: string): string {
  try {
    const location = (JSON.parse(body) as { location?: unknown }).location;
    if (typeof location === 'string') return location.replace(/\s+/g, '').toLowerCase();
  } catch {
    // not JSON: fall through
  }
  return 'westeurope';
}

function wwwAuthenticate(error: string, description: string): string {
  return `Bearer authorization_uri="https://login.windows.net/", error="${error}", error_description="${description}"`;
}

function redactedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = name === 'authorization' ? 'Bearer <token>' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
