import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestAgentUpdate } from './agent-updates';
import type { EmulatorCore } from './core';
import { EmulatorError } from './emulator-error';
import { optionalString, parseJsonObject, sendEmpty, sendJson } from './http-util';
import type { FaultInput, OrganizationInput, QueueJobInput } from './types';

/**
 * The unauthenticated `/_admin` API that drives scenarios: queue, assign, finish, cancel and
 * redeliver jobs; switch automatic assignment; disconnect an agent or ask it to update; add
 * organizations and tokens; inject faults; read the request and delivery logs.
 */
export function handleAdmin(core: EmulatorCore, req: IncomingMessage, res: ServerResponse, url: URL, text: string): void {
  const segments = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const [resource, id, action] = segments;
  const list = <T>(items: readonly T[]) => sendJson(res, 200, { count: items.length, value: items });

  switch (`${method} ${resource ?? ''}${segments.length > 1 ? '/:id' : ''}${segments.length > 2 ? '/:action' : ''}`) {
    case 'GET organizations':
      return list(core.organizations());
    case 'POST organizations':
      return sendJson(res, 200, core.addOrganization(parseJsonObject(text) as unknown as OrganizationInput));
    case 'GET jobs':
      return list(core.jobs.list());
    case 'POST jobs':
      return sendJson(res, 200, core.jobs.queue(parseJsonObject(text) as unknown as QueueJobInput));
    case 'POST jobs/:id/:action':
      return sendJson(res, 200, jobAction(core, text, requestIdOf(id), action ?? ''));
    case 'GET scheduling':
      return sendJson(res, 200, { enabled: core.state.schedulingEnabled });
    case 'POST scheduling': {
      const body = parseJsonObject(text);
      core.jobs.setScheduling(body.enabled as boolean);
      return sendJson(res, 200, { enabled: core.state.schedulingEnabled });
    }
    case 'POST agents/:id/:action': {
      const body = parseJsonObject(text);
      if (action !== 'disconnect' && action !== 'update') throw new EmulatorError(404, `Unknown agent action "${action}": use disconnect or update`);
      if (id === undefined || !/^\d+$/.test(id)) throw new EmulatorError(400, `"${id}" is not an agent id`);
      if (action === 'update')
        return sendJson(res, 200, requestAgentUpdate(core.state.org(optionalString(body.org)), Number(id), body.targetVersion, core.state.iso()));
      return sendJson(res, 200, core.jobs.disconnectAgent(Number(id), optionalString(body.org)));
    }
    case 'POST tokens': {
      const body = parseJsonObject(text);
      core.addToken(optionalString(body.token) ?? '', body.kind === 'bearer' ? 'bearer' : 'pat', body.scopes as string[] | undefined);
      return sendEmpty(res, 204);
    }
    case 'DELETE tokens/:id':
      if (!core.revokeToken(id ?? '')) throw new EmulatorError(404, 'That token was not accepted');
      return sendEmpty(res, 204);
    case 'POST faults':
      core.state.addFault(parseJsonObject(text) as unknown as FaultInput);
      return sendEmpty(res, 204);
    case 'DELETE faults':
      core.state.faults.clear();
      return sendEmpty(res, 204);
    case 'GET requests':
      return list(core.state.requestLog.all(url.searchParams.get('pathContains') ?? undefined));
    case 'DELETE requests':
      core.state.requestLog.clear();
      return sendEmpty(res, 204);
    case 'GET deliveries':
      return list(core.state.deliveryLog);
    case 'DELETE deliveries':
      core.state.deliveryLog.length = 0;
      return sendEmpty(res, 204);
    default:
      throw new EmulatorError(404, `No admin route ${method} ${url.pathname}; see emulators/README.md`);
  }
}

function requestIdOf(id: string | undefined): number {
  if (id === undefined || !/^\d+$/.test(id)) throw new EmulatorError(400, `"${id}" is not a job request id`);
  return Number(id);
}

function jobAction(core: EmulatorCore, text: string, requestId: number, action: string): unknown {
  const body = parseJsonObject(text);
  switch (action) {
    case 'cancel':
      return core.jobs.cancel(requestId);
    case 'assign': {
      const agentName = optionalString(body.agentName);
      if (!agentName) throw new EmulatorError(400, 'Assigning a job needs "agentName"');
      return core.jobs.assign(requestId, agentName);
    }
    case 'finish':
      return core.jobs.finish(requestId, optionalString(body.result) ?? 'succeeded');
    case 'redeliver':
      return { requestId, deliveries: core.jobs.redeliver(requestId) };
    default:
      throw new EmulatorError(404, `Unknown job action "${action}": use cancel, assign, finish or redeliver`);
  }
}
