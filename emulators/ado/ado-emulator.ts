import { requestAgentUpdate, type AgentUpdateRequest } from './agent-updates';
import { EmulatorCore } from './core';
import { subscriptionBody } from './rest-shapes';
import { startAdoServer } from './server';
import type {
  AdoEmulatorOptions,
  DeliveryLogEntry,
  FaultInput,
  JobResult,
  JobView,
  OrganizationInput,
  OrganizationView,
  QueueJobInput,
  QueuedJob,
  RequestLogEntry,
} from './types';

export { ADO_HOOK_PROBATION_DELAYS_MS, ADO_HOOK_RETRY_DELAYS_MS } from './hook-timers';
export { EmulatorError } from './emulator-error';
export { JOB_EVENT_PUBLISHER, JOB_EVENT_TYPE } from './job-event';
export * from './types';

/** A running Azure DevOps emulator: REST under `/{org}/_apis`, admin under `/_admin`, and the same admin in process. */
export interface AdoEmulator {
  /** e.g. `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `http://127.0.0.1:PORT/{name}`, the organization URL clients are given. */
  orgUrl(name: string): string;
  close(): Promise<void>;
  /** Queues a job request and sends the waiting hook. */
  queueJob(input: QueueJobInput): QueuedJob;
  /** Finishes the request as `canceled` and sends the completed hook. */
  cancelJob(requestId: number): JobView;
  /** Gives a waiting request to a registered agent of its pool and sends the running hook. */
  assignJob(requestId: number, agentName: string): JobView;
  /** Finishes a running request and sends the completed hook. */
  finishJob(requestId: number, result?: JobResult): JobView;
  /** Automatic assignment of waiting jobs to idle matching agents (on by default); turning it on assigns at once. */
  setScheduling(enabled: boolean): void;
  /** The agent's session ends unannounced (container killed): it goes offline and its running job is abandoned. */
  disconnectAgent(agentId: number, org?: string): { agentId: number; abandonedRequestId?: number };
  /** ADO asks the agent to update itself (its registration shows `pendingUpdate`; it gets no new job until updated). */
  requestAgentUpdate(agentId: number, targetVersion: string, org?: string): AgentUpdateRequest;
  /** Sends the waiting hook again, as ADO's duplicate deliveries do; answers how many deliveries started (`hookLoss` can lose or double them). */
  redeliverJob(requestId: number): number;
  jobs(): JobView[];
  addOrganization(input: OrganizationInput): OrganizationView;
  organizations(): OrganizationView[];
  /** The id of the (first) pool with that name. */
  poolId(org: string, pool: string): number;
  /** `scopes` limits a PAT to them (e.g. `['vso.build']`); without, it has full access. */
  addToken(token: string, kind?: 'pat' | 'bearer', scopes?: readonly string[]): void;
  /** Answers whether the token was accepted before. */
  revokeToken(token: string): boolean;
  /** Fails the next `fault.count` matching authenticated REST calls (emulators/README.md "Core"); throws EmulatorError 400 for a malformed fault. */
  injectFault(fault: FaultInput): void;
  clearFaults(): void;
  requests(): RequestLogEntry[];
  deliveries(): DeliveryLogEntry[];
  /** Subscriptions of an organization as REST answers them (secrets masked, `status` only when not enabled). */
  subscriptions(org?: string): Array<Record<string, unknown>>;
  /**
   * Resolves once no hook delivery is doing anything: every attempt answered, every retry on real
   * timers made. Waits on `hookTimers` and probation retries (minutes away) are left to the test.
   */
  deliveriesSettled(): Promise<void>;
}

export async function startAdoEmulator(options: AdoEmulatorOptions): Promise<AdoEmulator> {
  const core = new EmulatorCore(options);
  const server = await startAdoServer(core, { ...(options.port !== undefined ? { port: options.port } : {}), ...(options.host ? { host: options.host } : {}) });
  core.baseUrl = server.origin();

  return {
    url: core.baseUrl,
    orgUrl: (name) => core.orgUrl(name),
    close: () => server.close(),
    queueJob: (input) => core.jobs.queue(input),
    cancelJob: (requestId) => core.jobs.cancel(requestId),
    assignJob: (requestId, agentName) => core.jobs.assign(requestId, agentName),
    finishJob: (requestId, result) => core.jobs.finish(requestId, result),
    redeliverJob: (requestId) => core.jobs.redeliver(requestId),
    setScheduling: (enabled) => core.jobs.setScheduling(enabled),
    disconnectAgent: (agentId, org) => core.jobs.disconnectAgent(agentId, org),
    requestAgentUpdate: (agentId, targetVersion, org) => requestAgentUpdate(core.state.org(org), agentId, targetVersion, core.state.iso()),
    jobs: () => core.jobs.list(),
    addOrganization: (input) => core.addOrganization(input),
    organizations: () => core.organizations(),
    poolId: (org, pool) => core.state.poolByName(core.state.org(org), pool).id,
    addToken: (token, kind, scopes) => core.addToken(token, kind, scopes),
    revokeToken: (token) => core.revokeToken(token),
    injectFault: (fault) => core.state.addFault(fault),
    clearFaults: () => core.state.faults.clear(),
    requests: () => core.state.requestLog.all(),
    deliveries: () => [...core.state.deliveryLog],
    subscriptions: (orgName) => {
      const org = core.state.org(orgName);
      return [...org.subscriptions.values()].map((s) => subscriptionBody(core.orgUrl(org.name), org, s));
    },
    deliveriesSettled: () => core.hooks.settled(),
  };
}
