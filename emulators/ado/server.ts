import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../core/read-body';
import { errorStatus, startEmulatorServer, type EmulatorServer, type ErrorAnswer } from '../core/server';
import { authenticate, sendMissingScope, sendUnauthorized } from './auth';
import type { EmulatorCore } from './core';
import { FRAMEWORK_NAMESPACE, sendAdoError } from './http-util';
import { handleLocations } from './locations';
import type { RestContext, RestRoute } from './rest-context';
import { handleAdmin } from './routes-admin';
import { handleAgents } from './routes-agents';
import { handleHooks } from './routes-hooks';
import { handleJobRequests } from './routes-job-requests';
import { handlePools } from './routes-pools';
import { handleProjects } from './routes-projects';
import { grants, requiredScopes } from './scopes';

const REST_ROUTES: readonly RestRoute[] = [handleLocations, handlePools, handleAgents, handleJobRequests, handleHooks, handleProjects];
const MAX_BODY_BYTES = 1024 * 1024;

export function startAdoServer(core: EmulatorCore, options: { port?: number; host?: string }): Promise<EmulatorServer> {
  return startEmulatorServer({
    ...options,
    handle: (req, res) => handle(core, req, res),
    errorAnswer,
    onClose: () => core.hooks.close(),
  });
}

async function handle(core: EmulatorCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', core.baseUrl || 'http://localhost');
  res.setHeader('ActivityId', randomUUID());
  const body = await readBody(req, MAX_BODY_BYTES);
  if (url.pathname === '/_admin' || url.pathname.startsWith('/_admin/')) return handleAdmin(core, req, res, url, body);

  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [orgName, apis, ...segments] = parts;
  const org = orgName === undefined ? undefined : core.state.findOrg(orgName);
  const method = (req.method ?? 'GET').toUpperCase();
  const poolId = poolIdIn(url.pathname);
  const note = core.state.requestLog.track(req, res, url, body, {
    ...(org ? { org: org.name } : {}),
    ...(poolId !== undefined ? { poolId } : {}),
    ...(req.headers['user-agent'] !== undefined ? { userAgent: req.headers['user-agent'] } : {}),
  });

  if (!org || apis?.toLowerCase() !== '_apis') {
    sendAdoError(res, 404, 'HostNotFoundException', `TF400898: No organization or API found at ${url.pathname}.`, FRAMEWORK_NAMESPACE);
    return;
  }
  const caller = authenticate(req, core.state);
  if (!caller) {
    sendUnauthorized(res, core.baseUrl);
    return;
  }
  const required = requiredScopes(method, segments);
  if (caller.scopes && required && !grants(caller.scopes, required)) {
    sendMissingScope(res, core.baseUrl);
    return;
  }
  const fault = core.state.faults.take(method, url.pathname);
  if (fault) {
    note({ injected: true });
    answerFault(res, fault.status, fault.retryAfterSeconds);
    return;
  }
  const ctx: RestContext = {
    req,
    res,
    method,
    segments,
    query: url.searchParams,
    body,
    org,
    orgUrl: core.orgUrl(org.name),
    state: core.state,
    jobs: core.jobs,
    note,
  };
  for (const route of REST_ROUTES) {
    if (await route(ctx)) return;
  }
  sendAdoError(res, 404, 'VssResourceNotFoundException', `The resource ${method} ${url.pathname} is not served by the ADO emulator.`, FRAMEWORK_NAMESPACE);
}

function poolIdIn(path: string): number | undefined {
  const match = /\/pools\/(\d+)(?:\/|$)/i.exec(path);
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}

/** Throttling the way ADO does it (429 with Retry-After and X-RateLimit-*), or a plain server error. */
function answerFault(res: ServerResponse, status: number, retryAfterSeconds: number | undefined): void {
  const headers = retryAfterSeconds !== undefined ? { 'Retry-After': String(retryAfterSeconds) } : {};
  if (status === 429) {
    sendAdoError(
      res,
      429,
      'RequestBlockedException',
      "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'Core' in namespace 'User'.",
      FRAMEWORK_NAMESPACE,
      {
        ...headers,
        'X-RateLimit-Resource': 'Core',
        'X-RateLimit-Delay': String(retryAfterSeconds ?? 1),
        'X-RateLimit-Limit': '200',
        'X-RateLimit-Remaining': '0',
      },
    );
    return;
  }
  sendAdoError(res, status, 'ServiceUnavailableException', `Injected fault: the emulator answered ${status}.`, FRAMEWORK_NAMESPACE, headers);
}

/** Admin refusals answer `{message, status}`; anything else is the emulator's own failure. */
function errorAnswer(err: unknown): ErrorAnswer {
  const status = errorStatus(err);
  if (status === 500) console.error('ado emulator:', err);
  return { status, body: { message: err instanceof Error ? err.message : String(err), status } };
}
