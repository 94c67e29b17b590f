/** Which requests a fault or a hold applies to; an absent field matches any request. */
export interface RequestMatch {
  /** HTTP method, compared case-insensitively. */
  readonly method?: string;
  /** Substring of the request path (no query), compared case-insensitively. */
  readonly pathContains?: string;
}

/**
 * The one matching rule of every emulator's faults and holds. Case-insensitive both ways because
 * the services themselves route paths case-insensitively (ADO, ARM), and a test writing
 * `/jobRequests` should not silently miss.
 */
export function matchesRequest(rule: RequestMatch, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  return !rule.pathContains || path.toLowerCase().includes(rule.pathContains.toLowerCase());
}
