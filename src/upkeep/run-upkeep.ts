import { checkHookHealth } from './hook-health';
import { formatRecord, hookRecords } from '../log/telemetry-record';
import type { PoolAgent } from '../ado/pool-agents';
import { orgKeyOf } from '../config/org-url';
import type { OrganizationConfig, PoolConfig } from '../config/schema';
import type { LaunchedAgent, Launcher } from '../launchers/launcher';
import { UPKEEP_ACTIONS, type CounterName } from '../metrics/counters';
import { cleanProfile, removeStaleRegistrations } from './janitor';
import { keepPlaceholders } from './placeholders';
import { attempt, type PoolContext, type UpkeepDeps } from './upkeep-context';

export type { UpkeepDeps } from './upkeep-context';

export interface UpkeepResult {
  readonly pools: number;
  /** Actions that failed this run (also counted in `upkeepFailures`); the next run tries again. */
  readonly failures: number;
}

/**
 * One upkeep run: for every managed pool, its placeholder agents, then the janitor for each of
 * its profiles, then the registrations our agents left. Each pool, profile and action fails on
 * its own: a pool that cannot be listed is skipped whole (without its registrations nothing can
 * be judged orphaned or stale), the others go on. A pool where agents were found dead gets a
 * look from the scheduler: their capacity is free again.
 */
export async function runUpkeep(deps: UpkeepDeps): Promise<UpkeepResult> {
  deps.counters.increment('upkeepRuns');
  const before = snapshot(deps);
  // One listing per launcher per run: profiles that share a resource group or namespace share it.
  const listings = new Map<Launcher, Promise<LaunchedAgent[]>>();
  const listed = (launcher: Launcher) => {
    let list = listings.get(launcher);
    if (!list) listings.set(launcher, (list = launcher.list()));
    return list;
  };
  const pools = deps.config.organizations.flatMap((org) => org.pools.map((pool) => ({ org, pool })));
  await Promise.all(pools.map(({ org, pool }) => upkeepPool(deps, org, pool, listed)));
  // ADO drops events while a subscription is on probation: put ours back on every run.
  await attempt(deps, 'checking the service hook subscriptions', async () => {
    const report = await checkHookHealth({
      ...deps,
      ...(deps.webhook?.url ? { webhookUrl: deps.webhook.url } : {}),
      ...(deps.webhook?.username ? { webhookUsername: deps.webhook.username } : {}),
      ...(deps.webhook?.password ? { webhookPassword: deps.webhook.password } : {}),
    });
    // Azure Monitor: one record per organization and run, which the "service hook not enabled" alert reads.
    for (const record of hookRecords(report.organizations)) deps.log.info(formatRecord(record));
  });
  const after = snapshot(deps);
  const changed = UPKEEP_ACTIONS.filter((n) => after[n] !== before[n]).map((n) => `${n} ${after[n] - before[n]}`);
  const failures = after.upkeepFailures - before.upkeepFailures;
  if (changed.length > 0 || failures > 0) deps.log.info(`upkeep: ${pools.length} pool(s): ${[...changed, `failures ${failures}`].join(', ')}`);
  return { pools: pools.length, failures };
}

async function upkeepPool(deps: UpkeepDeps, org: OrganizationConfig, pool: PoolConfig, listed: (l: Launcher) => Promise<LaunchedAgent[]>): Promise<void> {
  const where = `pool "${pool.name}" of ${org.url.url}`;
  let ctx: PoolContext | undefined;
  let registrations: PoolAgent[] = [];
  await attempt(deps, `listing the agents of ${where}`, async () => {
    const ado = await deps.ado(org.url.url);
    const poolId = await ado.poolId(pool.name);
    registrations = await ado.agents(poolId);
    ctx = { deps, org, pool, ado, poolId, where };
  });
  if (!ctx) return;
  const pc: PoolContext = ctx;
  await attempt(deps, `keeping the placeholder agents of ${where}`, () => keepPlaceholders(pc, registrations));

  const byName = new Map(registrations.map((r) => [r.name.toLowerCase(), r]));
  const containers = new Map<string, LaunchedAgent>();
  let allListed = true;
  let freed = false;
  for (const profile of pool.profiles) {
    let launcher: Launcher | undefined;
    let mine: LaunchedAgent[] | undefined;
    await attempt(deps, `listing the agents of profile "${profile.name}" in ${where}`, async () => {
      launcher = await deps.launcher(profile);
      mine = (await listed(launcher)).filter((a) => orgKeyOf(a.orgUrl) === org.url.key && same(a.pool, pool.name) && a.profile === profile.name);
    });
    if (!launcher || !mine) {
      allListed = false;
      continue;
    }
    mine.forEach((a) => containers.set(a.name.toLowerCase(), a));
    const [l, m] = [launcher, mine];
    await attempt(deps, `the janitor for profile "${profile.name}" in ${where}`, async () => {
      freed = (await cleanProfile(pc, profile, l, m, byName)) || freed;
    });
  }
  await attempt(deps, `removing stale registrations in ${where}`, () => removeStaleRegistrations(pc, registrations, allListed ? containers : undefined));
  if (freed) {
    await attempt(deps, `signalling ${where}`, () =>
      deps.signals.signal([{ version: 2, orgUrl: org.url.url, pool: pool.name, reason: 'agent', observedAt: new Date(deps.now()).toISOString() }]),
    );
  }
}

function snapshot(deps: UpkeepDeps): Record<CounterName, number> {
  return deps.counters.snapshot();
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
