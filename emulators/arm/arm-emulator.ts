import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock';
import { FaultInjector, type Fault } from '../core/faults';
import { matchesRequest, type RequestMatch } from '../core/request-match';
import { RequestLog, type LogEntry } from '../core/request-log';
import { errorStatus, startEmulatorServer } from '../core/server';
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
  /** For start/finish/created times and the create-rate window; `Date.now` by default. */
  now?: Clock;
  /** Container groups per list page (ARM pages by nextLink); 20 by default. */
  pageSize?: number;
  /** Resource groups that exist (case-insensitive); any name when absent. */
  resourceGroups?: string[];
  /** Per-region ACI quotas enforced on create; unlimited when absent. */
  quotas?: Quotas;
  /**
   * ACI's create-rate limit: a create of a new group beyond `count` creates within the sliding
   * `windowMs` (by `now`) gets 429 `ResourceRequestsThrottled` with Retry-After. Redeploys of an
   * existing name and refused creates do not count. Unlimited when absent.
   */
  createRateLimit?: CreateRateLimit;
  tls?: TestTls;
}

/**
 * An injected fault (matching rules in emulators/core/faults.ts), answered in ARM's words unless
 * `code` or `message` say otherwise (arm-errors.ts `faultError`).
 */
export type ArmFault = Fault<{
  /** e.g. 'ContainerGroupQuotaReached', 'ServiceUnavailable'; a status-specific default otherwise. */
  readonly code?: string;
  readonly message?: string;
}>;

/** The common entry (emulators/core/request-log.ts) plus what ARM answered, for the secret search. */
export type ArmRequest = LogEntry<{
  readonly responseBody: string;
  readonly responseHeaders: Readonly<Record<string, string>>;
}>;

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
  const now = options.now ?? Date.now;
  const store = new ContainerGroupStore({
    provisioningDelay: options.provisioningDelay ?? 100,
    random: options.random ?? Math.random,
    now,
    ...(options.startAgent ? { startAgent: options.startAgent } : {}),
    ...(options.quotas ? { quotas: options.quotas } : {}),
    ...(options.createRateLimit ? { createRateLimit: options.createRateLimit } : {}),
  });
  const log = new RequestLog<{ responseBody: string; responseHeaders: Record<string, string> }>({ now });
  const faults = new FaultInjector<{ code?: string; message?: string }>();
  const holds: Array<RequestMatch & { released: Promise<void> }> = [];
  let url = '';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'https://arm.invalid');
    const method = req.method ?? 'GET';
    let body = '';
    let note: ReturnType<typeof log.track> = () => {};
    const send = (answer: ApiAnswer, injected = false) => {
      const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
      const headers: Record<string, string> = {
        'x-ms-request-id': randomUUID(),
        'x-ms-correlation-request-id': randomUUID(),
        ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        ...answer.headers,
      };
      note({ responseBody: text, responseHeaders: headers, ...(injected ? { injected } : {}) });
      res.writeHead(answer.status, headers);
      res.end(text);
    };
    const fail = (error: ArmError, injected = false) => send({ status: error.status, body: errorBody(error), headers: error.headers ?? {} }, injected);
    try {
      body = await readBody(req, MAX_BODY_BYTES);
      note = log.track(req, res, parsed, body, { responseBody: '', responseHeaders: {} });
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
      const fault = faults.take(method, parsed.pathname);
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
      for (const hold of holds.filter((h) => matchesRequest(h, method, parsed.pathname))) await hold.released;
      send(answer);
    } catch (err) {
      const status = errorStatus(err);
      fail({ status, code: status === 413 ? 'RequestContentTooLarge' : 'InternalServerError', message: `ARM emulator failed: ${(err as Error).message}` });
    }
  }

  const server = await startEmulatorServer({
    ...(options.port !== undefined ? { port: options.port } : {}),
    tls,
    handle,
    errorAnswer: (err) => ({ status: 500, body: errorBody({ code: 'InternalServerError', message: `ARM emulator failed: ${(err as Error).message}` }) }),
    onClose: () => store.close(),
  });
  url = server.origin('localhost');

  return {
    url,
    groups: () => store.all(),
    requests: () => log.all(),
    injectFault: (fault) => faults.add(fault),
    injectProvisioningFailure: (failure) => store.injectProvisioningFailure(failure),
    clearFaults: () => {
      faults.clear();
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
    close: () => server.close(),
  };
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
