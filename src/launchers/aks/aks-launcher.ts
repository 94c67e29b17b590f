import type { TokenCredential } from '@azure/identity';
import type { V1Job } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { ScalerError } from '../../errors/scaler-error';
import { consoleLogger, type Logger } from '../../log/logger';
import { systemClock, type Clock } from '../../time/clock';
import { agentOfJob } from './aks-agent-state';
import { createAksApi, type AksApi } from './aks-client';
import { aksError, httpStatus, type AksScope } from './aks-errors';
import { agentJob, agentLabels, agentSecret, isLabelValue, poolLabel, tokenSecretName, TOKEN_KEY, type AksSettings } from './aks-manifest';
import { LABELS, MANAGED_BY, type AgentSpec, type LaunchedAgent, type Launcher, type StartResult } from '../launcher';

export interface AksLauncherOptions {
  readonly credential: TokenCredential;
  /** The cluster's API server, https://<fqdn>:443. */
  readonly apiServer: string;
  /** PEM of the cluster CA; omitted: system roots and NODE_EXTRA_CA_CERTS. */
  readonly caCert?: string | undefined;
  /** The profile's launcher section; one launcher per (cluster, namespace, virtual node kind). */
  readonly settings: AksSettings;
  /** Stamps each agent's created-at label, and decides when the cluster token is renewed. */
  readonly now?: Clock;
  readonly log?: Logger;
}

const PAGE_SIZE = 250;

/**
 * Agents as Kubernetes Jobs on AKS virtual nodes, one Job per agent, its PAT in a Secret the
 * Job owns. Calls per operation: start = create Secret, create Job, patch the Secret's
 * ownerReferences (a duplicate: the two creates answer 409, then GET Job and the patch);
 * status = GET Job + list its pods; list = one Job list and one pod list per 250; delete =
 * DELETE Job (Background) + DELETE Secret.
 */
export async function createAksLauncher(options: AksLauncherOptions): Promise<Launcher> {
  const { namespace, virtualNode } = options.settings;
  const scope: AksScope = { apiServer: options.apiServer, namespace };
  const now = options.now ?? systemClock;
  const log = options.log ?? consoleLogger;
  const api: AksApi = await createAksApi({ ...options, now });

  // A 401 may be a token revoked or rotated early: renew it once before giving up.
  const call = async <T>(request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (e) {
      if (httpStatus(e) !== 401) throw e;
      api.renewToken();
      return request();
    }
  };
  const ignoring = async (status: number, request: () => Promise<unknown>): Promise<boolean> => {
    try {
      await call(request);
      return true;
    } catch (e) {
      if (httpStatus(e) === status) return false;
      throw e;
    }
  };
  const readJob = async (name: string): Promise<V1Job | undefined> => {
    try {
      return await call(() => api.batch.readNamespacedJob({ name, namespace }));
    } catch (e) {
      if (httpStatus(e) === 404) return undefined;
      throw e;
    }
  };
  const listPods = (labelSelector: string) =>
    allPages((c) => call(() => api.core.listNamespacedPod({ namespace, labelSelector, limit: PAGE_SIZE, ...(c ? { _continue: c } : {}) })));

  /**
   * Makes the Job own its Secret, so Kubernetes deletes the Secret with the Job (also by TTL).
   * With `pat`, also writes the PAT: the Secret was left by an earlier attempt and may hold a
   * PAT rotated since.
   */
  const ownSecret = (job: V1Job, pat?: string) =>
    ignoring(404, () =>
      api.core.patchNamespacedSecret({
        name: tokenSecretName(job.metadata?.name ?? ''),
        namespace,
        body: [
          { op: 'add', path: '/metadata/ownerReferences', value: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name, uid: job.metadata?.uid }] },
          ...(pat === undefined ? [] : [{ op: 'add', path: '/stringData', value: { [TOKEN_KEY]: pat } }]),
        ],
      }),
    );

  const foundExisting = async (spec: AgentSpec, what: string): Promise<StartResult> => {
    const job = await readJob(spec.name);
    if (!job) throw new ScalerError('transient', `${what}: the Job ${spec.name} was being deleted while it was started again; retry.`);
    if (job.metadata?.labels?.[MANAGED_BY.key] !== MANAGED_BY.value) {
      throw new ScalerError(
        'permanent',
        `${what}: a Job named ${spec.name} exists in namespace "${namespace}" that the scaler did not start; delete it or move it elsewhere.`,
      );
    }
    // Repairs a start that created the Job but failed before the Secret got its owner.
    await ownSecret(job);
    return { name: spec.name, outcome: 'exists' };
  };

  return {
    async start(spec: AgentSpec): Promise<StartResult> {
      const what = `Starting agent ${spec.name} (pool "${spec.pool}", profile "${spec.profile.name}") on AKS`;
      const profileLauncher = spec.profile.launcher;
      if (profileLauncher.kind !== 'aksVirtualNode' || profileLauncher.namespace !== namespace) {
        throw new ScalerError(
          'permanent',
          `${what}: profile "${spec.profile.name}" does not run in namespace "${namespace}" of ${options.apiServer}; it reached the wrong launcher.`,
        );
      }
      const labels = agentLabels(spec, new Date(now()));
      try {
        // The Secret first: a pod whose secretKeyRef names a missing Secret cannot start.
        const createdSecret = await ignoring(409, () => api.core.createNamespacedSecret({ namespace, body: agentSecret(spec, labels) }));
        let job: V1Job;
        try {
          job = await call(() => api.batch.createNamespacedJob({ namespace, body: agentJob(spec, virtualNode, labels) }));
        } catch (e) {
          if (httpStatus(e) === 409) return await foundExisting(spec, what);
          // Nothing runs: leave no Secret behind (best effort, the original error is what matters).
          if (createdSecret) await ignoring(404, () => api.core.deleteNamespacedSecret({ name: tokenSecretName(spec.name), namespace })).catch(() => false);
          throw e;
        }
        try {
          await ownSecret(job, createdSecret ? undefined : spec.pat);
        } catch (e) {
          // The agent runs; failing the start now would have it started twice. delete() removes
          // the Secret explicitly, and a repeated start repairs the owner.
          log.warn(aksError(e, `${what}: setting the owner of Secret ${tokenSecretName(spec.name)}`, scope, spec.pat).message);
        }
        return { name: spec.name, outcome: 'created' };
      } catch (e) {
        throw aksError(e, what, scope, spec.pat);
      }
    },

    async list(filter = {}): Promise<LaunchedAgent[]> {
      const terms = [`${MANAGED_BY.key}=${MANAGED_BY.value}`];
      if (filter.profile !== undefined) {
        if (!isLabelValue(filter.profile)) return []; // no profile of ours has such a name
        terms.push(`${LABELS.profile}=${filter.profile}`);
      }
      if (filter.pool !== undefined) terms.push(`${LABELS.pool}=${poolLabel(filter.pool)}`);
      try {
        const labelSelector = terms.join(',');
        const jobs = await allPages((c) =>
          call(() => api.batch.listNamespacedJob({ namespace, labelSelector, limit: PAGE_SIZE, ...(c ? { _continue: c } : {}) })),
        );
        if (jobs.length === 0) return [];
        // Pods carry the Job's labels (from its template): one list for all of them.
        const pods = await listPods(labelSelector);
        return jobs
          .map((job) => agentOfJob(job, pods))
          .filter((a): a is LaunchedAgent => a !== undefined && (filter.pool === undefined || a.pool.toLowerCase() === filter.pool.toLowerCase()));
      } catch (e) {
        throw aksError(e, `Listing agents in namespace "${namespace}"`, scope);
      }
    },

    async status(name: string): Promise<LaunchedAgent | undefined> {
      try {
        const job = await readJob(name);
        if (!job?.metadata?.uid || job.metadata.labels?.[MANAGED_BY.key] !== MANAGED_BY.value) return undefined;
        return agentOfJob(job, await listPods(`controller-uid=${job.metadata.uid}`));
      } catch (e) {
        throw aksError(e, `Reading agent ${name}`, scope);
      }
    },

    async delete(name: string): Promise<void> {
      try {
        // Background: the Job goes now, its pod and Secret after it. Without a policy, batch/v1
        // Jobs orphan their pods.
        await ignoring(404, () => api.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }));
        // Explicitly too: the Secret may have no owner (a start interrupted before the patch).
        await ignoring(404, () => api.core.deleteNamespacedSecret({ name: tokenSecretName(name), namespace }));
      } catch (e) {
        throw aksError(e, `Deleting agent ${name}`, scope);
      }
    },
  };
}

async function allPages<T>(page: (continueToken: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    items.push(...result.items);
    token = result.metadata?._continue || undefined;
  } while (token);
  return items;
}
