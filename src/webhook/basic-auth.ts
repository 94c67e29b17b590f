import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Checks an `Authorization: Basic` header against the expected pair in constant time. Both sides
 * are hashed first so neither the length nor the position of the first wrong byte leaks.
 */
export function isAuthorized(header: string | null | undefined, expected: BasicCredentials): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  const given = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const ok = timingSafeEqual(digest(given), digest(`${expected.username}:${expected.password}`));
  return ok && match !== null;
}
