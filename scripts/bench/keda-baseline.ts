import type { ScalerConfig } from '../../src/config/schema';
import { errorKind } from '../../src/errors/scaler-error';
import { matchProfile } from '../../src/scheduler/profile-match';
import type { Dependencies } from '../../src/runtime/dependencies';

export interface KedaBaseline {
  /** Polls made so far. */
  readonly polls: number;
  /** KEDA's own cleanup: finished Jobs beyond the history limit. */
  cleanUp(): Promise<void>;
  stop(): Promise<void>;
}

/** ScaledJob's successfulJobsHistoryLimit and failedJobsHistoryLimit default. */
const HISTORY_LIMIT = 100;

/**
 * What users run today, for comparison in the same run: KEDA's azure-pipelines scaler with a
 * ScaledJob per profile. No service hook; every `pollMs` it lists the pool's job requests and
 * starts min(waiting − (starting + idle), maxAgents − active) agents, as ScaledJob's default
 * strategy does with pending jobs counted. It goes through the same launchers, token and ADO
 * client as the scaler, so only the decision loop differs. Agents get KEDA-style random names.
 */
export function startKedaBaseline(deps: Dependencies, pollMs: number, onError: (message: string) => void): KedaBaseline {
  const config: ScalerConfig = deps.settings.config;
  let polls = 0;
  let serial = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const pollPool = async (org: ScalerConfig['organizations'][number], pool: ScalerConfig['organizations'][number]['pools'][number]) => {
    const ado = await deps.ado(org.url.url);
    const launch = await deps.scheduler();
    const requests = await ado.jobRequests(await ado.poolId(pool.name));
    const busyAgents = new Set(requests.filter((r) => r.state === 'running' && r.agentName).map((r) => r.agentName!.toLowerCase()));
    for (const profile of pool.profiles) {
      const waiting = requests.filter((r) => r.state === 'waiting' && matchProfile(pool.profiles, r.demands)?.name === profile.name).length;
      const launcher = await launch.launcher(profile);
      const active = (await launcher.list({ profile: profile.name, pool: pool.name })).filter((a) => a.phase !== 'finished');
      const busy = active.filter((a) => busyAgents.has(a.name.toLowerCase())).length;
      const toStart = Math.min(waiting - (active.length - busy), profile.maxAgents - active.length);
      for (let i = 0; i < toStart && !stopped; i++) {
        const n = ++serial;
        const name = `keda-${profile.name}-${n.toString(36)}${Math.random().toString(36).slice(2, 7)}`;
        const spec = { name, orgUrl: org.url.url, pool: pool.name, profile, pat: await launch.agentToken(org) };
        // A Job KEDA created stays pending while its pod cannot start; the virtual node retries
        // a throttled create after Retry-After, so a 429 delays this agent, not the next poll.
        for (;;) {
          try {
            await launcher.start(spec);
            break;
          } catch (e) {
            if (errorKind(e) !== 'throttled' || stopped) throw e;
            await new Promise((r) => setTimeout(r, (e as { retryAfterMs?: number }).retryAfterMs ?? 5_000));
          }
        }
      }
    }
  };

  const poll = async () => {
    polls++;
    for (const org of config.organizations) {
      for (const pool of org.pools) await pollPool(org, pool).catch((e: unknown) => onError(`poll of pool ${pool.name}: ${String(e)}`));
    }
    await cleanUp().catch((e: unknown) => onError(`cleanup: ${String(e)}`));
  };

  const cleanUp = async () => {
    const launch = await deps.scheduler();
    for (const profile of config.organizations.flatMap((o) => o.pools.flatMap((p) => p.profiles))) {
      const launcher = await launch.launcher(profile);
      const finished = (await launcher.list({ profile: profile.name })).filter((a) => a.phase === 'finished');
      finished.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      for (const agent of finished.slice(HISTORY_LIMIT)) await launcher.delete(agent.name);
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = poll().finally(schedule);
    }, pollMs);
  };
  // KEDA's first poll happens when the ScaledJob is created; the jobs come later.
  running = poll().finally(schedule);

  return {
    get polls() {
      return polls;
    },
    cleanUp,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
