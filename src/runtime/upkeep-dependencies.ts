import type { Settings } from '../config/load-settings';
import { tableClient } from '../storage/table-client';
import type { UpkeepDeps } from '../upkeep/upkeep-context';
import { Notices } from '../upkeep/notices';
import { createUpkeepMarks, UPKEEP_TABLE } from '../upkeep/upkeep-marks';
import type { Dependencies } from './dependencies';

/** The upkeep timer shares the scheduler's launchers and adds the table its marks live in. */
export async function createUpkeepDependencies(deps: Dependencies, settings: Settings): Promise<Omit<UpkeepDeps, 'log'>> {
  const scheduler = await deps.scheduler();
  const marks = createUpkeepMarks(await tableClient(settings.storage, () => deps.azureCredential(), UPKEEP_TABLE));
  return {
    config: settings.config,
    ado: (orgUrl) => deps.ado(orgUrl),
    hooks: (orgUrl) => deps.adoHooks(orgUrl),
    launcher: scheduler.launcher,
    marks,
    signals: deps.signals,
    counters: deps.counters,
    now: deps.now,
    webhook: { ...(settings.webhookUrl ? { url: settings.webhookUrl } : {}), username: settings.webhook.username, password: settings.webhook.password },
    notices: new Notices(),
  };
}
