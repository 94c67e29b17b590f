import type { ArmRequest } from './arm-emulator';

/**
 * Where `secret` shows in captured ARM traffic outside a `secureValue` (the one place ACI takes
 * secrets, and never echoes): URLs, headers, request and response bodies.
 */
export function armPatExposures(requests: readonly ArmRequest[], secret: string): string[] {
  return requests.flatMap((r) => {
    const places = {
      // Decoded, so a secret is found whatever encoding the client gave it.
      url: `${safeDecode(r.path)}?${Object.entries(r.query)
        .map(([k, v]) => `${k}=${v}`)
        .join('&')}`,
      requestHeaders: JSON.stringify(r.headers),
      requestBody: withoutSecureValues(r.body),
      responseHeaders: JSON.stringify(r.responseHeaders),
      responseBody: r.responseBody,
    };
    return Object.entries(places).flatMap(([where, text]) => (text.includes(secret) ? [`${r.method} ${r.path} ${where}`] : []));
  });
}

function withoutSecureValues(body: string): string {
  if (!body) return '';
  return JSON.stringify(JSON.parse(body), (key, value: unknown) => (key === 'secureValue' ? undefined : value));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
