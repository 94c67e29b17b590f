import type { KubeRequest } from './types';

/**
 * Requests that carry `secret` outside a Secret's `data`/`stringData` (docs/design.md, invariant 6):
 * in a URL, a Job body, labels, annotations, a Secret's metadata. Base64 counts too, at every
 * byte alignment, so a fragment of the PAT is found inside a longer encoded string.
 */
export function patExposures(requests: readonly KubeRequest[], secret: string): string[] {
  const forms = secretForms(secret);
  return requests.flatMap((r) => {
    const places = { url: `${r.path}?${new URLSearchParams(r.query).toString()} ${decodeURIComponent(r.path)}`, body: outsideSecretData(r) };
    return Object.entries(places)
      .filter(([, text]) => forms.some((form) => text.includes(form)))
      .map(([where]) => `${r.method} ${r.path} ${where}`);
  });
}

/** The request body without the one place the PAT belongs: a Secret's data (create, replace, JSON or merge patch). */
function outsideSecretData(r: KubeRequest): string {
  if (!r.body || !/\/secrets(\/|$)/.test(r.path)) return r.body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    return r.body;
  }
  if (Array.isArray(parsed)) {
    return JSON.stringify(parsed.filter((op: { path?: unknown }) => !/^\/(data|stringData)(\/|$)/.test(String(op?.path))));
  }
  const { data: _data, stringData: _stringData, ...rest } = parsed as Record<string, unknown>;
  return JSON.stringify(rest);
}

function secretForms(secret: string): string[] {
  const forms = [secret];
  for (let offset = 0; offset < 3; offset += 1) {
    // Characters that mix bits of the bytes before or after the secret are left out.
    const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(secret, 'utf8')]).toString('base64');
    const fixed = encoded.slice([0, 2, 3][offset], Math.floor((offset + Buffer.byteLength(secret)) / 3) * 4);
    if (fixed.length >= 4) forms.push(fixed);
  }
  return forms;
}
