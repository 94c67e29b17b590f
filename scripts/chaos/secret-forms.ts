/** A secret value the run used, and what to call it in a finding (never the value itself). */
export interface SecretValue {
  readonly label: string;
  readonly value: string;
}

/**
 * The ways a secret shows up in text: as is, URL-encoded, and base64 at each of the three byte
 * alignments (so it is found inside a longer encoded string, e.g. `Basic base64(user:PAT)`).
 * Characters of the encoding that mix bits of neighbouring bytes are left out.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const fixed = encoded.slice([0, 2, 3][offset], Math.floor((offset + bytes.length) / 3) * 4);
    if (fixed.length >= 8) {
      forms.add(fixed);
      // base64url, as JWTs and some SDKs write it.
      forms.add(fixed.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms];
}

/** A search for the secrets: answers the labels of those whose value, in any form, appears in a text. */
export function secretMatcher(secrets: readonly SecretValue[]): (text: string) => string[] {
  const all = secrets.map((s) => ({ label: s.label, forms: secretForms(s.value) }));
  return (text) => all.filter((s) => s.forms.some((form) => text.includes(form))).map((s) => s.label);
}
