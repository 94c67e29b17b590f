import { createHash } from 'node:crypto';

/**
 * The one name of the agent for a job request: its ADO agent name and its container group or
 * Job name. Derived, never random, so a duplicate or redelivered demand finds the agent already
 * there (DESIGN.md invariant 1). Fits ACI and Kubernetes names: at most 63 characters of
 * lowercase letters, digits and dashes, starting and ending with a letter or digit.
 */
export function agentName(orgUrl: string, pool: string, requestId: number): string {
  const slug = pool
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/, '');
  // The hash keeps pools that slug alike ("Linux Pool", "linux-pool") and equal pool names in
  // different organizations apart.
  const hash = createHash('sha256').update(`${orgUrl.toLowerCase()}|${pool.toLowerCase()}`).digest('hex').slice(0, 6);
  return `ado-${slug ? `${slug}-` : ''}${hash}-${requestId}`;
}
