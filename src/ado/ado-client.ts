import type * as http from 'node:http';
import { WebApi } from 'azure-devops-node-api';
import type { IRequestHandler } from 'azure-devops-node-api/interfaces/common/VsoBaseInterfaces';
import { ScalerError } from '../errors/scaler-error';
import type { Clock } from '../time/clock';
import { callAdo, type RetryBudget } from './ado-call';
import type { AdoCredential } from './ado-credential';
import { PROJECT_READ_SCOPE, type AdoScope } from './ado-scopes';
import { currentJobRequests, type JobRequest } from './job-requests';
import { poolAgentCalls, type PoolAgentCalls } from './pool-agents';
import {
  enableSubscription,
  ensureJobStateSubscription,
  jobStateSubscriptions,
  type HookSubscription,
  type SubscriptionResult,
  type WebhookCredentials,
  type WebhookSubscriptionInput,
} from './service-hooks';

/** What the scaler asks of one Azure DevOps organization; agent registrations for upkeep. */
export interface AdoClient extends PoolAgentCalls {
  readonly orgUrl: string;
  /** The pool's numeric id, looked up by name once and cached. */
  poolId(poolName: string): Promise<number>;
  /** Unfinished job requests of a pool and the latest `finished` finished ones, latest request per job; never a whole history. */
  jobRequests(poolId: number, finished?: number): Promise<JobRequest[]>;
  /** Creates or updates (and enables) the service hook subscription that feeds the webhook; a dry run only reads. */
  ensureJobStateSubscription(input: WebhookSubscriptionInput, options?: { dryRun?: boolean }): Promise<SubscriptionResult>;
  /** The Web Hooks subscriptions for job state events in the organization, whatever their target. */
  jobStateSubscriptions(): Promise<HookSubscription[]>;
  /** Enables a subscription ADO put on probation or disabled, with the webhook's credentials (ADO lists the password masked). */
  enableSubscription(subscription: HookSubscription, webhook: WebhookCredentials): Promise<void>;
  /** A project's id, looked up by name (or id). */
  projectId(projectName: string): Promise<string>;
}

/** Who ADO says a call comes from when it did not take the credential (connectionData answers it too). */
const ANONYMOUS_USER_ID = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';

export interface AdoClientOptions {
  readonly orgUrl: string;
  readonly credential: AdoCredential;
  readonly budget?: RetryBudget;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: Clock;
}

/** Sets the header the scaler's credential produced; 401s are handled by callAdo, not here. */
class CurrentAuthorization implements IRequestHandler {
  header = '';
  prepareRequest(options: http.RequestOptions): void {
    options.headers = { ...options.headers, Authorization: this.header, 'X-TFS-FedAuthRedirect': 'Suppress' };
  }
  canHandleAuthentication(): boolean {
    return false;
  }
  handleAuthentication(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
}

export function createAdoClient(options: AdoClientOptions): AdoClient {
  const { orgUrl, credential } = options;
  const auth = new CurrentAuthorization();
  const webApi = new WebApi(orgUrl, auth, { socketTimeout: 30_000, allowRetries: false });
  // Needs no scope: answers whether ADO accepts the credential at all, so a 401 elsewhere can be
  // told apart as a missing scope. The header is the one the refused call carried.
  const accepted = async () => {
    const data = await webApi.rest.get<{ authenticatedUser?: { id?: string } }>(`${orgUrl}/_apis/connectionData`);
    const id = data.result?.authenticatedUser?.id;
    return typeof id === 'string' && id !== ANONYMOUS_USER_ID;
  };
  const call = <T>(what: string, request: () => Promise<T>, scope?: AdoScope) =>
    callAdo(what, credential, (h) => (auth.header = h), request, {
      ...(options.budget ? { budget: options.budget } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(scope ? { scope } : {}),
      accepted,
    });
  const poolIds = new Map<string, Promise<number>>();

  const lookUpPool = async (poolName: string): Promise<number> => {
    // getTaskAgentApi() itself asks ADO for resource areas, so it runs with the credential too.
    const pools = (await call(`the lookup of pool "${poolName}"`, async () => (await webApi.getTaskAgentApi()).getAgentPools(poolName))) ?? [];
    // The poolName filter is not guaranteed exact; compare names as ADO does, case-insensitively.
    const matches = pools.filter((p) => p.name?.toLowerCase() === poolName.toLowerCase() && typeof p.id === 'number');
    if (matches.length === 0) {
      throw new ScalerError(
        'permanent',
        `Agent pool "${poolName}" was not found in ${orgUrl}: create it under Organization settings > Agent pools, or fix the pool name in the config (the PAT or identity must be able to read it)`,
      );
    }
    if (matches.length > 1) {
      throw new ScalerError(
        'permanent',
        `Agent pool name "${poolName}" is ambiguous in ${orgUrl} (ids ${matches.map((p) => p.id).join(', ')}): rename one of the pools`,
      );
    }
    return matches[0]!.id!;
  };

  return {
    orgUrl,
    ...poolAgentCalls(() => webApi.getTaskAgentApi(), call, orgUrl),
    poolId(poolName) {
      const key = poolName.toLowerCase();
      let id = poolIds.get(key);
      if (!id) {
        id = lookUpPool(poolName);
        // A failed lookup must not be cached: the pool may be created, or ADO may recover.
        id.catch(() => poolIds.delete(key));
        poolIds.set(key, id);
      }
      return id;
    },
    async jobRequests(poolId, finished = 0) {
      // Not in the typed client: the undocumented listing KEDA uses. completedRequestCount bounds
      // the finished requests it adds to the unfinished ones, however long the pool's history.
      const url = `${orgUrl}/_apis/distributedtask/pools/${poolId}/jobrequests?completedRequestCount=${finished}`;
      const response = await call(`the job request listing of pool ${poolId}`, () => webApi.rest.get<unknown>(url));
      if (response.statusCode === 404) {
        throw new ScalerError('permanent', `Agent pool ${poolId} no longer exists in ${orgUrl}`);
      }
      return currentJobRequests(response.result ?? { value: [] });
    },
    ensureJobStateSubscription(input, subscriptionOptions) {
      return ensureJobStateSubscription(webApi.rest, call, orgUrl, input, subscriptionOptions);
    },
    jobStateSubscriptions: () => jobStateSubscriptions(webApi.rest, call, orgUrl),
    enableSubscription: (subscription, webhook) => enableSubscription(webApi.rest, call, orgUrl, subscription, webhook),
    async projectId(projectName) {
      const url = `${orgUrl}/_apis/projects/${encodeURIComponent(projectName)}?api-version=7.1`;
      const response = await call(`the lookup of project "${projectName}"`, () => webApi.rest.get<{ id?: string }>(url), PROJECT_READ_SCOPE);
      if (response.statusCode === 404 || !response.result?.id) {
        throw new ScalerError(
          'permanent',
          `Project "${projectName}" was not found in ${orgUrl}: check its name under Organization settings > Projects (the PAT or identity must be able to read it)`,
        );
      }
      return response.result.id;
    },
  };
}
