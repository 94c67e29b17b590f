/**
 * Line breaks (also NEL and the Unicode separators), C1 controls, invisible and bidi characters:
 * echoed as they are, they let a sender forge or hide log lines. C0 controls and lone surrogates
 * are escaped by JSON.stringify already.
 */
const UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

function escape(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value from a delivery as it may appear in a log line or a reason: quoted, cut to `max`
 * characters with the full length said, every control and line character escaped. A sender
 * chooses these values; it must not choose what the log says or how long a line is.
 */
export function echo(value: string, max = 40): string {
  const quoted = escape(JSON.stringify(value.length > max ? value.slice(0, max) : value));
  return value.length > max ? `${quoted.slice(0, -1)}…" (${value.length} characters)` : quoted;
}

/** What a value that should have been text was, for a reason: its text echoed, or its JSON type. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return value === '' ? 'an empty string' : echo(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Our own message (an error's, which may quote what it failed on), bounded and on one line. */
export function clip(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  return escape(cut.replace(/[\u0000-\u001f]/g, ' ').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}
