import type { Settings } from '../config/load-settings';
import type { ProfileConfig } from '../config/schema';
import { createCapacityLedger } from '../launch/capacity-ledger';
import { capacityTable } from '../launch/capacity-table';
import { createJobRequestFinder } from '../launch/find-job-request';
import type { LaunchDeps } from '../launch/launch-demand';
import type { Launcher } from '../launchers/launcher';
import type { Dependencies } from './dependencies';
import { oncePerKey } from './once-per-key';

/**
 * What the launch path needs beyond the shared dependencies: the capacity ledger, the job
 * request finder and one launcher per distinct launcher setting. Built on the first demand, so
 * the webhook never loads the ARM, Kubernetes or Table SDKs.
 */
export async function createLaunchDependencies(deps: Omit<Dependencies, 'launch'>, settings: Settings): Promise<Omit<LaunchDeps, 'log'>> {
  const ledger = createCapacityLedger({ client: await capacityTable(settings.storage, () => deps.azureCredential()) });
  // One launcher per distinct launcher setting: profiles that share a scope share its client.
  const launcherFor = oncePerKey((key) => createLauncher(deps, settings, JSON.parse(key) as ProfileConfig['launcher']));
  const launcher = (profile: ProfileConfig): Promise<Launcher> => launcherFor(JSON.stringify(profile.launcher));
  return {
    config: settings.config,
    finder: createJobRequestFinder({ ado: (orgUrl) => deps.ado(orgUrl) }),
    ledger,
    launcher,
    async agentToken(org, fresh) {
      const credential = await deps.adoCredential(org.url.url);
      if (fresh) await credential.refresh();
      return credential.agentToken();
    },
    counters: deps.counters,
  };
}

async function createLauncher(deps: Omit<Dependencies, 'launch'>, settings: Settings, l: ProfileConfig['launcher']): Promise<Launcher> {
  const credential = await deps.azureCredential();
  if (l.kind === 'aci') {
    const { createAciLauncher } = await import('../launchers/aci/aci-launcher.js');
    return createAciLauncher({ credential, settings: l, endpoint: settings.armEndpoint });
  }
  const { createAksLauncher } = await import('../launchers/aks/aks-launcher.js');
  return createAksLauncher({ credential, apiServer: l.apiServer, ...(l.caCert ? { caCert: l.caCert } : {}), settings: l });
}
