import type { Settings } from '../config/load-settings';
import { capacityTable } from '../launch/capacity-table';
import type { UpkeepDeps } from '../upkeep/upkeep-context';
import { createUpkeepMarks, UPKEEP_TABLE } from '../upkeep/upkeep-marks';
import type { Dependencies } from './dependencies';

/**
 * The upkeep timer shares the launch path's launchers and capacity ledger (so a deleted agent's
 * claim is released in the same ledger) and adds the table its marks live in.
 */
export async function createUpkeepDependencies(deps: Dependencies, settings: Settings): Promise<Omit<UpkeepDeps, 'log'>> {
  const launch = await deps.launch();
  const marks = createUpkeepMarks(await capacityTable(settings.storage, () => deps.azureCredential(), UPKEEP_TABLE));
  return {
    config: settings.config,
    ado: (orgUrl) => deps.ado(orgUrl),
    launcher: launch.launcher,
    ledger: launch.ledger,
    marks,
    counters: deps.counters,
    webhook: { ...(settings.webhookUrl ? { url: settings.webhookUrl } : {}), username: settings.webhook.username },
  };
}
