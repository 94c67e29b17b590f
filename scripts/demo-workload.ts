import type { EmulatorStack } from './local-stack/emulator-stack';

interface DemoJob {
  readonly pool: string;
  readonly profile: string;
  readonly demands: string[];
  readonly requestId: number;
  readonly queuedAt: number;
  running?: number;
  finished?: string;
}

/**
 * `npm start`'s demo: a few jobs for every profile of the first two pools, with the demands that
 * select that profile, queued through the ADO emulator like pipeline jobs; then, as it happens,
 * each job's time from queued to running (on whichever agent ADO gave it) and its result.
 */
export async function runDemoWorkload(stack: EmulatorStack, print: (line: string) => void, jobsPerProfile = 3): Promise<void> {
  const org = stack.config.organizations[0];
  const orgName = stack.orgNames[0];
  if (!org || !orgName) return;
  const plan = org.pools.slice(0, 2).flatMap(
    (pool) =>
      (pool as { name: string; profiles?: Array<{ name: string; capabilities?: Record<string, string> }> }).profiles?.map((p) => ({
        pool: pool.name,
        profile: p.name,
        demands: Object.entries(p.capabilities ?? {}).map(([name, value]) => (value ? `${name} -equals ${value}` : name)),
      })) ?? [],
  );
  print(`demo: queueing ${plan.length * jobsPerProfile} jobs over ${new Set(plan.map((p) => p.pool)).size} pools (start with --no-demo to skip)`);
  const jobs: DemoJob[] = [];
  const total = plan.length * jobsPerProfile;
  const deadline = Date.now() + 5 * 60_000;
  // Watch while queueing, so early jobs are timed as precisely as late ones.
  const watching = (async () => {
    while ((jobs.length < total || jobs.some((j) => !j.finished)) && Date.now() < deadline) {
      for (const j of jobs) observe(stack, j, print);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  for (let i = 0; i < jobsPerProfile; i++) {
    for (const p of plan) {
      const { requestId } = stack.ado.queueJob({ org: orgName, pool: p.pool, demands: p.demands });
      jobs.push({ ...p, requestId, queuedAt: Date.now() });
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  await watching;
  const waited = jobs
    .filter((j) => j.running !== undefined)
    .map((j) => j.running! - j.queuedAt)
    .sort((a, b) => a - b);
  const median = waited[Math.floor(waited.length / 2)];
  print(
    `demo: ${jobs.filter((j) => j.finished === 'succeeded').length}/${jobs.length} jobs succeeded; queued → running: median ${seconds(median)}, max ${seconds(waited.at(-1))}`,
  );
}

function observe(stack: EmulatorStack, j: DemoJob, print: (line: string) => void): void {
  const label = `job ${j.requestId} (pool ${j.pool}, ${j.demands.join(', ') || 'no demands'})`;
  const view = stack.ado.jobs().find((v) => v.requestId === j.requestId);
  if (j.running === undefined && view?.assignTime) {
    j.running = Date.parse(view.assignTime);
    print(`${label}: running on ${view.agentName ?? '?'} ${seconds(j.running - j.queuedAt)} after queued`);
  }
  if (!j.finished && view?.state === 'finished') {
    j.finished = view.result ?? 'finished';
    print(`${label}: ${j.finished}`);
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
}
