import { createHash, randomBytes } from 'node:crypto';

/**
 * The one name of the agent for a job request: its ADO agent name and its container group or
 * Job name. Derived, never random, so a duplicate or redelivered demand finds the agent already
 * there (DESIGN.md invariant 1). Fits ACI and Kubernetes names: at most 63 characters of
 * lowercase letters, digits and dashes, starting and ending with a letter or digit.
 */
export function agentName(orgUrl: string, pool: string, requestId: number): string {
  return `${poolPrefix(orgUrl, pool, 30)}${requestId}`;
}

/**
 * A name for an agent the scheduler starts for its profile, bound to no job request:
 * `ado-{pool}-{hash}-{profile}-{suffix}`, the pool cut to 14 characters so that a 24-character
 * profile name still fits in 63; the random suffix keeps every agent's name its own.
 */
export function profileAgentName(orgUrl: string, pool: string, profile: string, suffix = randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(-6)): string {
  return `${poolPrefix(orgUrl, pool, 14)}${profile}-${suffix}`;
}

/** Whether a name is one of the two forms above, for this organization and pool. */
export function isAgentNameOf(orgUrl: string, pool: string): (name: string) => boolean {
  const perRequest = poolPrefix(orgUrl, pool, 30);
  const perProfile = poolPrefix(orgUrl, pool, 14);
  return (name) =>
    (name.startsWith(perRequest) && /^\d+$/.test(name.slice(perRequest.length))) ||
    (name.startsWith(perProfile) && /^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?-[a-z0-9]{6}$/.test(name.slice(perProfile.length)));
}

/** "ado-{pool slug}-{hash}-": the hash keeps pools that slug alike ("Linux Pool", "linux-pool") and equal pool names in different organizations apart. */
function poolPrefix(orgUrl: string, pool: string, maxSlug: number): string {
  const slug = pool
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxSlug)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(`${orgUrl.toLowerCase()}|${pool.toLowerCase()}`).digest('hex').slice(0, 6);
  return `ado-${slug ? `${slug}-` : ''}${hash}-`;
}
