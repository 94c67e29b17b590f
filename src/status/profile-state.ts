import type { ProfileConfig } from '../config/schema';
import { standbyAt } from '../config/standby-window';
import { activeCrashLoop } from '../scheduler/crash-loop';
import { profileBackoffKey } from '../scheduler/pool-lease';
import { EXITING_MS } from '../scheduler/pool-pass';
import { waitingPerProfile } from '../scheduler/serving-profile';
import { placeholderState, type PlaceholderState } from '../upkeep/placeholders';
import type { PoolSnapshot, ProfileSnapshot } from './fleet-snapshot';

/** Why a profile starts nothing for now: its agents crash, its starts failed, or its pool's passes failed. */
export interface ProfileBackoff {
  readonly source: 'crash loop' | 'start failed' | 'pass failed';
  /** Epoch ms. */
  readonly until: number;
  readonly reason: string;
}

/** One profile as the scheduler would count it now, from one snapshot. */
export interface ProfileState {
  readonly profile: ProfileConfig;
  /** Waiting jobs this profile serves (ADO's matched placeholders first, then our matcher). */
  readonly waiting: number;
  /** The standby target of its windows at this instant. */
  readonly standby: number;
  /** Agents by what they do: not registered yet, registered without a job, running one, done and exiting. */
  readonly agents: { readonly starting: number; readonly idle: number; readonly busy: number; readonly exiting: number };
  /** Containers by the launcher's phase (finished ones are kept for their logs). */
  readonly containers: { readonly starting: number; readonly running: number; readonly finished: number };
  readonly placeholder?: PlaceholderState;
  readonly backoff?: ProfileBackoff;
  /** Its launcher could not be listed. */
  readonly error?: string;
}

export interface PoolState {
  readonly profiles: readonly ProfileState[];
  /** Waiting jobs no profile of the pool serves. */
  readonly unmatched: number;
}

/**
 * Counts per profile as the scheduler's pass makes them: busy when a running request names the
 * agent (or its registration has a request), exiting when its request finished within a minute,
 * idle when registered, starting otherwise. Without registrations, nothing is known idle.
 */
export function poolState(pool: PoolSnapshot, now: number): PoolState {
  const requests = pool.requests ?? [];
  const { waiting, unmatched } = waitingPerProfile(pool.pool, requests, pool.registrations ?? []);
  const named = (keep: (r: (typeof requests)[number]) => boolean) =>
    new Set(requests.flatMap((r) => (keep(r) && r.agentName ? [r.agentName.toLowerCase()] : [])));
  const running = named((r) => r.state === 'running');
  const exiting = named((r) => r.state === 'finished' && !!r.finishTime && now - Date.parse(r.finishTime) < EXITING_MS);
  const registered = new Map((pool.registrations ?? []).map((a) => [a.name.toLowerCase(), a]));
  const profiles = pool.profiles.map((snapshot): ProfileState => {
    const { profile } = snapshot;
    const list = snapshot.agents ?? [];
    const agents = { starting: 0, idle: 0, busy: 0, exiting: 0 };
    for (const c of list.filter((a) => a.phase !== 'finished')) {
      const name = c.name.toLowerCase();
      const registration = registered.get(name);
      if (exiting.has(name)) agents.exiting++;
      else if (running.has(name) || registration?.assignedRequestId !== undefined) agents.busy++;
      else if (registration) agents.idle++;
      else agents.starting++;
    }
    const phase = (p: string) => list.filter((a) => a.phase === p).length;
    const backoff = backoffOf(pool, snapshot, now);
    return {
      profile,
      waiting: waiting.get(profile.name) ?? 0,
      standby: standbyAt(profile.standby, new Date(now)).agents,
      agents,
      containers: { starting: phase('starting'), running: phase('running'), finished: phase('finished') },
      ...(pool.registrations ? { placeholder: placeholderState(profile, pool.registrations) } : {}),
      ...(backoff ? { backoff } : {}),
      ...(snapshot.error !== undefined ? { error: snapshot.error } : {}),
    };
  });
  return { profiles, unmatched: unmatched.length };
}

/** A crash loop first, then this profile's failed starts, then a failure of the pool's whole pass. */
function backoffOf(pool: PoolSnapshot, snapshot: ProfileSnapshot, now: number): ProfileBackoff | undefined {
  const loop = snapshot.agents ? activeCrashLoop(snapshot.agents, now) : undefined;
  if (loop) return { source: 'crash loop', until: loop.backedOffUntil, reason: loop.reason };
  const own = pool.backoffs?.profiles.get(profileBackoffKey(pool.pool.name, snapshot.profile.name));
  if (own && own.until > now) return { source: 'start failed', until: own.until, reason: own.reason };
  const whole = pool.backoffs?.pool;
  if (whole && whole.until > now) return { source: 'pass failed', until: whole.until, reason: whole.reason };
  return undefined;
}
