import type { ScalerConfig } from '../config/schema';
import { errorMessage } from '../errors/error-message';
import type { Logger } from '../log/logger';
import type { PoolSignal } from '../queue/pool-signal';
import type { SignalQueue } from '../queue/signal-queue';
import type { Counters } from '../metrics/counters';
import type { Clock } from '../time/clock';

export interface SweepDeps {
  readonly config: ScalerConfig;
  readonly signals: SignalQueue;
  readonly counters: Counters;
  readonly log: Logger;
  readonly now: Clock;
}

/**
 * The safety net behind the webhook (invariant 2): a look at every managed pool, so a job whose
 * every event was lost gets an agent within one reconcile period. It calls no ADO API itself:
 * each pool's pass lists its job requests, once however many signals arrive in its window.
 */
export async function sweep(deps: SweepDeps): Promise<number> {
  deps.counters.increment('sweeps');
  const observedAt = new Date(deps.now()).toISOString();
  const signals = managedPools(deps.config).map(({ orgUrl, pool }): PoolSignal => ({ version: 2, orgUrl, pool, reason: 'timer', observedAt }));
  try {
    await deps.signals.signal(signals);
  } catch (e) {
    deps.counters.increment('signalFailures');
    deps.log.error(`reconcile: could not signal ${signals.length} pool(s); the next tick tries again: ${errorMessage(e)}`);
    throw e;
  }
  return signals.length;
}

export function managedPools(config: ScalerConfig): Array<{ orgUrl: string; pool: string }> {
  return config.organizations.flatMap((o) => o.pools.map((p) => ({ orgUrl: o.url.url, pool: p.name })));
}
