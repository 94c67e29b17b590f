export interface EntityAddress {
  /** Queue name as given by the client. */
  queue: string;
  deadLetter: boolean;
  management: boolean;
}

const managementSuffix = '/$management';
const deadLetterSuffix = '/$deadletterqueue';

/**
 * Parses a link address or CBS audience: `q`, `q/$DeadLetterQueue`, `q/$management`,
 * `sb://host:port/q/$DeadLetterQueue/$management`, ...
 */
export function parseEntityAddress(addressOrAudience: string): EntityAddress {
  let path = addressOrAudience.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*\//i, '').replace(/\/+$/, '');
  const management = path.toLowerCase().endsWith(managementSuffix);
  if (management) path = path.slice(0, -managementSuffix.length);
  const deadLetter = path.toLowerCase().endsWith(deadLetterSuffix);
  if (deadLetter) path = path.slice(0, -deadLetterSuffix.length);
  return { queue: path, deadLetter, management };
}

export function isCbsAddress(address: string | undefined): boolean {
  return address === '$cbs';
}
