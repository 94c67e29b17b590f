import { badRequest } from './status';

/**
 * Equality-based label selectors as the API server takes them in `labelSelector`:
 * comma-separated `k=v`, `k==v`, `k!=v`, `k` (exists) and `!k` (absent), all of which must hold.
 * Set-based terms (`k in (a,b)`) are refused with 400 rather than silently mismatched.
 */
export type LabelSelector = (labels: Readonly<Record<string, string>> | undefined) => boolean;

export function parseLabelSelector(raw: string | null | undefined): LabelSelector {
  const text = (raw ?? '').trim();
  if (!text) return () => true;
  const terms = text.split(',').map((term) => parseTerm(term.trim(), text));
  return (labels = {}) => terms.every((matches) => matches(labels));
}

function parseTerm(term: string, whole: string): (labels: Readonly<Record<string, string>>) => boolean {
  if (/\s(in|notin)\s*\(/.test(term) || term.includes('(')) {
    throw badRequest(`unable to parse requirement: set-based selector "${whole}" is not supported by the emulator`);
  }
  const notEqual = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(term);
  if (notEqual) {
    const [, key = '', value = ''] = notEqual;
    return (labels) => labels[key] !== value;
  }
  const equal = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(term);
  if (equal) {
    const [, key = '', value = ''] = equal;
    return (labels) => labels[key] === value;
  }
  const absent = /^!([^!=\s]+)$/.exec(term);
  if (absent) {
    const key = absent[1] ?? '';
    return (labels) => !(key in labels);
  }
  if (/^[^!=\s]+$/.test(term)) return (labels) => term in labels;
  throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
}
