export interface IdealJob {
  /** Model ms from the start. */
  readonly arrivalMs: number;
  readonly profile: string;
  readonly durationMs: number;
}

export interface IdealProfile {
  readonly name: string;
  readonly maxAgents: number;
  /** Draws the time from the decision to start an agent to the agent ready for a job (container start + registration). */
  readonly startMs: () => number;
  /** Its creates count against the create limit (ACI's per-region creates per window). */
  readonly createLimited?: boolean;
}

export interface CreateLimit {
  readonly count: number;
  readonly windowMs: number;
}

export interface IdealResult {
  /** Per job, in input order: arrival → assigned. */
  readonly waitsMs: readonly number[];
  /** First arrival → last job finished. */
  readonly makespanMs: number;
}

interface ProfileState {
  readonly profile: IdealProfile;
  readonly ready: number[]; // ready times of agents on their way
  readonly finishes: number[]; // finish times of busy agents
  readonly waiting: number[]; // indexes of jobs waiting, oldest first
}

/**
 * What instant detection would give with the same capacity, create limit and latencies: every
 * profile starts an agent the moment a job waits without one on the way and a slot (and the
 * create window) allows, and ADO gives the oldest waiting job to the first agent ready.
 * Cancelled jobs are left out by the caller (an instantly informed scaler would not start for
 * them). A discrete-event simulation, no clock involved.
 */
export function idealSchedule(jobs: readonly IdealJob[], profiles: readonly IdealProfile[], createLimit?: CreateLimit): IdealResult {
  const waits: number[] = new Array<number>(jobs.length).fill(0);
  const order = jobs.map((_, i) => i).sort((a, b) => jobs[a]!.arrivalMs - jobs[b]!.arrivalMs || a - b);
  const states = new Map<string, ProfileState>(profiles.map((p) => [p.name, { profile: p, ready: [], finishes: [], waiting: [] }]));
  const creates: number[] = [];
  let next = 0;
  let lastFinish = 0;
  let blocked = false;

  const windowAllows = (now: number) => {
    if (!createLimit) return true;
    while (creates.length && creates[0]! <= now - createLimit.windowMs) creates.shift();
    return creates.length < createLimit.count;
  };
  const startAgents = (now: number) => {
    blocked = false;
    for (const s of states.values()) {
      while (s.waiting.length > s.ready.length && s.ready.length + s.finishes.length < s.profile.maxAgents) {
        if (s.profile.createLimited && !windowAllows(now)) {
          blocked = true;
          break;
        }
        if (s.profile.createLimited) creates.push(now);
        s.ready.push(now + s.profile.startMs());
      }
    }
  };

  for (;;) {
    const all = [...states.values()];
    const tArrival = next < order.length ? jobs[order[next]!]!.arrivalMs : Infinity;
    const tReady = Math.min(...all.flatMap((s) => s.ready));
    const tFinish = Math.min(...all.flatMap((s) => s.finishes));
    const tWindow = blocked && createLimit && creates.length ? creates[0]! + createLimit.windowMs : Infinity;
    const now = Math.min(tArrival, tReady, tFinish, tWindow);
    if (now === Infinity) break;
    if (now === tFinish) {
      const s = all.find((x) => x.finishes.includes(now))!;
      s.finishes.splice(s.finishes.indexOf(now), 1);
      lastFinish = Math.max(lastFinish, now);
    } else if (now === tReady) {
      const s = all.find((x) => x.ready.includes(now))!;
      s.ready.splice(s.ready.indexOf(now), 1);
      const i = s.waiting.shift();
      if (i !== undefined) {
        waits[i] = now - jobs[i]!.arrivalMs;
        s.finishes.push(now + jobs[i]!.durationMs);
      }
    } else if (now === tArrival) {
      const i = order[next++]!;
      states.get(jobs[i]!.profile)?.waiting.push(i);
    }
    startAgents(now);
  }
  const firstArrival = jobs.reduce((min, j) => Math.min(min, j.arrivalMs), Infinity);
  return { waitsMs: waits, makespanMs: jobs.length === 0 ? 0 : lastFinish - firstArrival };
}
