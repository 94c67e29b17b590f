import type { Settings } from '../config/load-settings';
import type { ProfileConfig } from '../config/schema';
import type { Launcher } from '../launchers/launcher';
import type { SchedulerDeps } from '../scheduler/handle-signal';
import { createPoolLease } from '../scheduler/pool-lease';
import { tableClient } from '../storage/table-client';
import type { Dependencies } from './dependencies';
import { oncePerKey } from './once-per-key';

/** Where the pool leases live, in the function app's storage account. */
export const LEASE_TABLE = 'poolleases';

/**
 * What the scheduler needs beyond the shared dependencies: the pool leases and one launcher per
 * distinct launcher setting. Built on the first signal, so the webhook never loads the ARM,
 * Kubernetes or Table SDKs.
 */
export async function createSchedulerDependencies(deps: Omit<Dependencies, 'scheduler'>, settings: Settings): Promise<Omit<SchedulerDeps, 'log'>> {
  const lease = createPoolLease(await tableClient(settings.storage, () => deps.azureCredential(), LEASE_TABLE), deps.now);
  // One launcher per distinct launcher setting: profiles that share a scope share its client.
  const launcherFor = oncePerKey((key) => createLauncher(deps, settings, JSON.parse(key) as ProfileConfig['launcher']));
  return {
    config: settings.config,
    lease,
    signals: deps.signals,
    counters: deps.counters,
    now: deps.now,
    ado: (orgUrl) => deps.ado(orgUrl),
    launcher: (profile: ProfileConfig): Promise<Launcher> => launcherFor(JSON.stringify(profile.launcher)),
    async agentToken(org) {
      return (await deps.adoCredential(org.url.url)).agentToken();
    },
  };
}

async function createLauncher(deps: Omit<Dependencies, 'scheduler'>, settings: Settings, l: ProfileConfig['launcher']): Promise<Launcher> {
  const credential = await deps.azureCredential();
  if (l.kind === 'aci') {
    const { createAciLauncher } = await import('../launchers/aci/aci-launcher.js');
    return createAciLauncher({ credential, settings: l, endpoint: settings.armEndpoint, now: deps.now });
  }
  const { createAksLauncher } = await import('../launchers/aks/aks-launcher.js');
  return createAksLauncher({ credential, apiServer: l.apiServer, ...(l.caCert ? { caCert: l.caCert } : {}), settings: l, now: deps.now });
}
