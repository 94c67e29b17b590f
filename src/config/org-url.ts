/**
 * One spelling per organization. ADO answers under `https://dev.azure.com/{org}` and the legacy
 * `https://{org}.visualstudio.com`, users paste either with or without a trailing slash, and
 * service hook payloads carry yet another (`resourceContainers.account.baseUrl`). Everything is
 * compared through `orgKey` so those all name the same organization.
 */
export interface OrgUrl {
  /** The URL the scaler calls: no trailing slash, legacy hosts rewritten to dev.azure.com. */
  readonly url: string;
  /** Case-folded identity used to compare organizations. */
  readonly key: string;
}

const legacyHost = /^([a-z0-9][a-z0-9-]*)\.visualstudio\.com$/i;

/** Returns the normalised URL, or an error message saying what to write instead. */
export function normaliseOrgUrl(raw: string): OrgUrl | { error: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    return { error: `"${raw}" is not a URL; write it as https://dev.azure.com/<organization>` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { error: `"${raw}" must start with https://, e.g. https://dev.azure.com/<organization>` };
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    return { error: `"${raw}" must not carry credentials, a query or a fragment; write https://dev.azure.com/<organization>` };
  }
  const segments = parsed.pathname.split('/').filter((s) => s.length > 0);
  const legacy = legacyHost.exec(parsed.hostname);
  let url: string;
  if (legacy) {
    // https://contoso.visualstudio.com/ and https://contoso.visualstudio.com/DefaultCollection
    const extra = segments.filter((s) => s.toLowerCase() !== 'defaultcollection');
    if (extra.length > 0) {
      return { error: `"${raw}" has a project or path after the organization; write https://dev.azure.com/${legacy[1]}` };
    }
    url = `https://dev.azure.com/${legacy[1]}`;
  } else if (parsed.hostname.toLowerCase() === 'dev.azure.com') {
    if (segments.length !== 1) {
      return { error: `"${raw}" must name exactly one organization: https://dev.azure.com/<organization>` };
    }
    url = `https://dev.azure.com/${segments[0]}`;
  } else {
    // Azure DevOps Server or the local emulator: host plus collection path, kept as given.
    url = `${parsed.protocol}//${parsed.host}${segments.length ? '/' + segments.join('/') : ''}`;
  }
  return { url, key: url.toLowerCase() };
}

/** For URLs that came from ADO itself (service hook payloads): undefined when unparseable. */
export function orgKeyOf(raw: string): string | undefined {
  const result = normaliseOrgUrl(raw);
  return 'error' in result ? undefined : result.key;
}
