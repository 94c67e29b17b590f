/**
 * Job demands arrive as strings (`"docker"`, `"Agent.OS -equals Linux"`,
 * `"Agent.Version -gtVersion 2.182.1"`); profile matching needs them typed.
 */
export type Demand =
  | { readonly kind: 'exists'; readonly name: string }
  | { readonly kind: 'equals'; readonly name: string; readonly value: string }
  | { readonly kind: 'gtVersion'; readonly name: string; readonly value: string }
  | { readonly kind: 'unsupported'; readonly raw: string };

const operator = /^(\S+)\s+-(equals|gtVersion)\s+(.+)$/i;

export function parseDemand(raw: string): Demand {
  const text = raw.trim();
  const match = operator.exec(text);
  if (match) {
    const [, name = '', op = '', value = ''] = match;
    return op.toLowerCase() === 'equals' ? { kind: 'equals', name, value: value.trim() } : { kind: 'gtVersion', name, value: value.trim() };
  }
  // A bare capability name has no spaces; anything else uses an operator we do not know.
  return /^\S+$/.test(text) ? { kind: 'exists', name: text } : { kind: 'unsupported', raw: text };
}

export function parseDemands(raw: readonly string[] | undefined): Demand[] {
  return (raw ?? []).map(parseDemand);
}

/** Dotted version comparison as the agent does it: missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((s) => Number.parseInt(s, 10) || 0);
  const pb = b.split('.').map((s) => Number.parseInt(s, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
