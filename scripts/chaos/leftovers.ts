import { LABELS } from '../../src/launchers/launcher';
import type { EmulatorStack } from '../local-stack/emulator-stack';
import { OBSERVER_USER_AGENT } from './agent-observer';

export interface Leftovers {
  /** ACI groups and Kubernetes Jobs still running (or starting). */
  readonly liveContainers: number;
  /** Finished ones kept for their logs, at most `keepFinished` per profile by design. */
  readonly finishedKept: number;
  /** Finished ones beyond `keepFinished` in a profile. */
  readonly finishedBeyondKeep: number;
  /** Kubernetes Secrets (the agents' PATs) whose Job is gone. */
  readonly orphanedSecrets: number;
  /** Agent registrations in the pool other than the placeholders. */
  readonly registrations: number;
  /** Agent processes (containers) that have not exited. */
  readonly runningAgents: number;
  /** Names, for the report when something is left. */
  readonly names: readonly string[];
}

/** What the run left in ACI, AKS and the ADO pool after its last upkeep run. */
export async function leftovers(stack: EmulatorStack, poolUrl: string, pat: string, keepFinished: number): Promise<Leftovers> {
  const names: string[] = [];
  const finishedByProfile = new Map<string, number>();
  let live = 0;
  let finished = 0;
  const count = (profile: string, isFinished: boolean, name: string) => {
    if (!isFinished) {
      live++;
      names.push(`live container ${name}`);
      return;
    }
    finished++;
    finishedByProfile.set(profile, (finishedByProfile.get(profile) ?? 0) + 1);
  };
  for (const g of stack.arm.groups())
    count(g.body.tags?.[LABELS.profile] ?? '?', g.container.state === 'Terminated' || g.provisioningState === 'Failed', g.name);
  const jobs = stack.kubernetes.jobs();
  for (const j of jobs) {
    const done = Number(j.status.succeeded ?? 0) + Number(j.status.failed ?? 0) > 0;
    count(j.metadata.labels?.[LABELS.profile] ?? '?', done, j.metadata.name);
  }
  const beyond = [...finishedByProfile.values()].reduce((n, c) => n + Math.max(0, c - keepFinished), 0);
  const jobUids = new Set(jobs.map((j) => j.metadata.uid));
  const orphaned = stack.kubernetes.secrets().filter((s) => !(s.metadata.ownerReferences ?? []).some((r) => jobUids.has(r.uid)));
  orphaned.forEach((s) => names.push(`Secret ${s.metadata.name}`));

  const response = await fetch(`${poolUrl}/agents?api-version=7.1`, {
    headers: { authorization: `Basic ${Buffer.from(`:${pat}`).toString('base64')}`, 'user-agent': OBSERVER_USER_AGENT },
  });
  if (!response.ok) throw new Error(`listing the pool's agents failed: HTTP ${response.status}`);
  const agents = ((await response.json()) as { value: Array<{ name: string; status: string }> }).value.filter((a) => !a.name.startsWith('placeholder-'));
  agents.forEach((a) => names.push(`registration ${a.name} (${a.status})`));
  const running = stack.containers().filter((c) => c.exitedAt === undefined);
  running.forEach((c) => names.push(`agent process of ${c.name}`));
  return {
    liveContainers: live,
    finishedKept: finished - beyond,
    finishedBeyondKeep: beyond,
    orphanedSecrets: orphaned.length,
    registrations: agents.length,
    runningAgents: running.length,
    names,
  };
}
