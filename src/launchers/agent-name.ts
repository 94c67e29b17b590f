import { createHash, randomBytes } from 'node:crypto';

/**
 * The one name of an agent the scheduler starts for a profile: its ADO agent name and its
 * container group or Job name, `ado-{pool}-{hash}-{profile}-{suffix}`. Pool and profile are in
 * it so that the name alone tells whose agent it is, in ADO's agent list and to upkeep, which
 * knows registrations only by name. The random suffix: a profile runs many agents at once, and
 * ADO agent names, container groups and Jobs must each be unique. The pool is cut to 14
 * characters so that a 24-character profile name still fits ACI and Kubernetes naming: at most
 * 63 lowercase letters, digits and dashes, starting and ending with a letter or digit.
 */
export function profileAgentName(
  orgUrl: string,
  pool: string,
  profile: string,
  suffix = randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(-6),
): string {
  return `${poolPrefix(orgUrl, pool)}${profile}-${suffix}`;
}

/**
 * Whether a name is one the scaler gives in this organization and pool: upkeep removes only
 * registrations that match, never placeholders or agents someone else registered.
 */
export function isAgentNameOf(orgUrl: string, pool: string): (name: string) => boolean {
  const prefix = poolPrefix(orgUrl, pool);
  return (name) => name.startsWith(prefix) && /^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?-[a-z0-9]{6}$/.test(name.slice(prefix.length));
}

/** "ado-{pool slug}-{hash}-": the hash keeps pools that slug alike ("Linux Pool", "linux-pool") and equal pool names in different organizations apart. */
function poolPrefix(orgUrl: string, pool: string): string {
  const slug = pool
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 14)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(`${orgUrl.toLowerCase()}|${pool.toLowerCase()}`).digest('hex').slice(0, 6);
  return `ado-${slug ? `${slug}-` : ''}${hash}-`;
}
