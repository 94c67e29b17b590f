import type { AdoClient } from '../ado/ado-client';
import type { OrganizationConfig, PoolConfig, ProfileConfig, ScalerConfig } from '../config/schema';
import { errorMessage } from '../errors/error-message';
import type { Launcher } from '../launchers/launcher';
import type { Logger } from '../log/logger';
import type { SignalQueue } from '../queue/signal-queue';
import type { Counters } from '../metrics/counters';
import type { Clock } from '../time/clock';
import type { Notices } from './notices';
import type { UpkeepMarks } from './upkeep-marks';

/** What the upkeep timer needs: the scheduler's launchers, ADO, its marks table, and the signals. */
export interface UpkeepDeps {
  readonly config: ScalerConfig;
  ado(orgUrl: string): Promise<AdoClient>;
  /** The client for the organization's service hook subscriptions (`hooksAuth`); undefined when none is configured. */
  hooks(orgUrl: string): Promise<AdoClient | undefined>;
  launcher(profile: ProfileConfig): Promise<Launcher>;
  readonly signals: SignalQueue;
  readonly marks: UpkeepMarks;
  readonly counters: Counters;
  readonly log: Logger;
  /** Judges the orphan grace and stamps marks and signals. */
  readonly now: Clock;
  /** How our service hook subscriptions are recognised (WEBHOOK_URL, else WEBHOOK_USERNAME), and what they must carry. */
  readonly webhook?: { readonly url?: string; readonly username?: string; readonly password?: string };
  /** What earlier runs reported, so a lasting condition is logged once; one per process. */
  readonly notices?: Notices;
}

/** One managed pool during one upkeep run. */
export interface PoolContext {
  readonly deps: UpkeepDeps;
  readonly org: OrganizationConfig;
  readonly pool: PoolConfig;
  readonly ado: AdoClient;
  readonly poolId: number;
  /** For log lines: `pool "linux" of https://dev.azure.com/contoso`. */
  readonly where: string;
}

/**
 * Runs one upkeep action. A failure is logged and counted and does not stop the others: the
 * next run tries again. Answers whether the action succeeded.
 */
export async function attempt(deps: UpkeepDeps, what: string, action: () => Promise<void>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (e) {
    deps.counters.increment('upkeepFailures');
    deps.log.error(`upkeep: ${what} failed: ${errorMessage(e)}`);
    return false;
  }
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
