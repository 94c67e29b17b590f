import type { Demand } from '../ado/demands';
import type { ProfileConfig } from '../config/schema';
import { matchProfile } from '../launch/profile-match';
import { placeholderName } from '../upkeep/placeholders';

export interface WaitingRequest {
  readonly requestId: number;
  readonly demands: readonly Demand[];
  /** ADO's own answer: the agents (offline placeholders too) that meet the demands; absent in some listings. */
  readonly matchedAgents?: readonly string[];
}

/**
 * Which profile serves a waiting job: ADO's answer first — the first profile, in config order,
 * whose placeholder ADO lists as a match, with every demand operator ADO knows — and our own
 * matcher only where ADO gave no list. An empty list means no agent of ours can run it.
 */
export function servingProfile(profiles: readonly ProfileConfig[], request: WaitingRequest): ProfileConfig | undefined {
  if (request.matchedAgents === undefined) return matchProfile(profiles, request.demands);
  const matched = new Set(request.matchedAgents.map((name) => name.toLowerCase()));
  return profiles.find((p) => matched.has(placeholderName(p.name).toLowerCase()));
}
