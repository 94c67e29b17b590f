import type { LaunchedAgent } from '../launchers/launcher';

/** A finished agent container of one profile, as the launchers report it. */
export interface FinishedAgent {
  readonly name: string;
  /** When it ended (the container's finish time; its creation when unknown); epoch ms. */
  readonly endedAt: number;
  readonly exitCode?: number;
  /** Failed without an exit code to show (see LaunchedAgent.failed). */
  readonly failed?: true;
}

export interface CrashLoop {
  /** Failures in a row, newest first, up to the last agent that ran a job. */
  readonly failures: number;
  readonly backedOffUntil: number;
  /** For `/api/status` and the log: which agents, what they exited with, until when. */
  readonly reason: string;
}

export interface CrashLoopPolicy {
  /** Failures in a row before the profile backs off; default 3. */
  readonly threshold: number;
  /** The first back-off, doubled with every further failure; default 1 minute. */
  readonly firstDelayMs: number;
  /** Default 30 minutes. */
  readonly maxDelayMs: number;
}

export const DEFAULT_CRASH_LOOP_POLICY: CrashLoopPolicy = { threshold: 3, firstDelayMs: 60_000, maxDelayMs: 30 * 60_000 };

/**
 * A one-shot agent exits 0 after its job; 143 is SIGTERM, a stop we asked for. Anything else
 * never ran a job, and so does an agent the platform reports failed without a code.
 */
const fine = (a: FinishedAgent) => (a.exitCode === undefined ? !a.failed : a.exitCode === 0 || a.exitCode === 143);

/**
 * Agents of a profile that keep exiting before they take a job (a revoked PAT, a broken image,
 * a registry that refuses the pull) would be replaced without end. Counted newest first until
 * an agent that ended well: from `threshold` failures in a row on, the profile starts nothing
 * until the last failure plus a delay that doubles with each further failure. Undefined while
 * the profile is healthy.
 */
export function crashLoop(finished: readonly FinishedAgent[], policy: CrashLoopPolicy = DEFAULT_CRASH_LOOP_POLICY): CrashLoop | undefined {
  const newestFirst = [...finished].sort((a, b) => b.endedAt - a.endedAt);
  const firstFine = newestFirst.findIndex(fine);
  const failed = firstFine === -1 ? newestFirst : newestFirst.slice(0, firstFine);
  if (failed.length < policy.threshold) return undefined;
  const last = failed[0]!;
  const delay = Math.min(policy.firstDelayMs * 2 ** (failed.length - policy.threshold), policy.maxDelayMs);
  const backedOffUntil = last.endedAt + delay;
  const codes = [...new Set(failed.map((a) => a.exitCode ?? 'unknown'))].join(', ');
  return {
    failures: failed.length,
    backedOffUntil,
    reason:
      `${failed.length} agents in a row exited (code ${codes}) without taking a job, the last ${last.name}; ` +
      `no agent starts until ${new Date(backedOffUntil).toISOString()}: check the PAT in Key Vault, the image and the registry`,
  };
}

/** The crash loop of one profile's agents as a launcher lists them, while its back-off lasts; undefined otherwise. */
export function activeCrashLoop(agents: readonly LaunchedAgent[], now: number): CrashLoop | undefined {
  const finished = agents.filter((a) => a.phase === 'finished');
  // The launchers report no finish time: creation stands in, which errs towards a shorter back-off.
  const loop = crashLoop(
    finished.map((a) => ({
      name: a.name,
      endedAt: a.createdAt.getTime(),
      ...(a.exitCode !== undefined ? { exitCode: a.exitCode } : {}),
      ...(a.failed ? { failed: a.failed } : {}),
    })),
  );
  return loop && loop.backedOffUntil > now ? loop : undefined;
}
