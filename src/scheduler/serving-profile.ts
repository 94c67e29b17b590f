import type { Demand } from '../ado/demands';
import type { JobRequest } from '../ado/job-requests';
import type { PoolAgent } from '../ado/pool-agents';
import type { PoolConfig, ProfileConfig } from '../config/schema';
import { matchProfile } from './profile-match';

/** The offline agent upkeep keeps registered for a profile, so that ADO queues its jobs rather than failing them. */
export function placeholderName(profile: string): string {
  return `placeholder-${profile}`;
}

export interface WaitingRequest {
  readonly requestId: number;
  readonly demands: readonly Demand[];
  /** ADO's own answer: the agents (offline placeholders too) that meet the demands; absent in some listings. */
  readonly matchedAgents?: readonly string[];
}

/**
 * Which profile serves a waiting job: ADO's answer first — the first profile, in config order,
 * whose placeholder ADO lists as a match, with every demand operator ADO knows — and our own
 * matcher where ADO's list names none of our placeholders (it sent none, or upkeep has not
 * registered them yet: just after a deployment).
 */
export function servingProfile(profiles: readonly ProfileConfig[], request: WaitingRequest): ProfileConfig | undefined {
  const matched = new Set((request.matchedAgents ?? []).map((name) => name.toLowerCase()));
  return profiles.find((p) => matched.has(placeholderName(p.name).toLowerCase())) ?? matchProfile(profiles, request.demands);
}

/**
 * The pool's waiting jobs counted per serving profile, and those no profile serves. The two
 * listings are taken at slightly different instants: a request the registrations already show
 * assigned no longer waits, whatever the job listing said a moment before.
 */
export function waitingPerProfile(
  pool: PoolConfig,
  requests: readonly JobRequest[],
  registrations: readonly PoolAgent[],
): { readonly waiting: Map<string, number>; readonly unmatched: JobRequest[] } {
  const assigned = new Set(registrations.flatMap((r) => (r.assignedRequestId !== undefined ? [r.assignedRequestId] : [])));
  const waiting = new Map<string, number>();
  const unmatched: JobRequest[] = [];
  for (const r of requests.filter((x) => x.state === 'waiting' && !assigned.has(x.requestId))) {
    const profile = servingProfile(pool.profiles, r);
    if (profile) waiting.set(profile.name, (waiting.get(profile.name) ?? 0) + 1);
    else unmatched.push(r);
  }
  return { waiting, unmatched };
}
