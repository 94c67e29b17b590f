import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/**
 * Service hook deliveries built from Microsoft's documented sample, then broken the ways a
 * sender, a proxy or a curious user breaks them: fields deleted and retyped, odd and overlong
 * values, deep nesting, other encodings, other credentials and content types.
 */

export const USERNAME = 'ado-hook';
export const PASSWORD = 'fuzz-S3cret:with colon';
/** The documented sample's links point to this organization, so the sample as published is one of ours. */
export const ORG_URL = 'https://dev.azure.com/fabrikamfiber';
export const POOL = 'linux';
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = ReadonlyArray<string | number>;

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/ado/job-state-changed.docs.json'), 'utf8')) as Record<string, Json>;
const { _source: _s, _notes: _n, ...documented } = fixture;
/** The sample as Microsoft publishes it (the fixture's provenance notes taken out). */
export const DOCUMENTED_SAMPLE: Readonly<Record<string, Json>> = documented;

/**
 * JSON text spliced into the body as is, for what JSON.stringify cannot write: 1e400, an escaped
 * lone surrogate, a `__proto__` key as JSON.parse sees it, nesting deeper than a replacer walks.
 */
export class Raw {
  constructor(readonly text: string) {}
}
type Value = Json | Raw;

/** A mutation's place: one of the fields the webhook reads (or their parents), or any node of the document by index. */
export type Target = { readonly focus: Path } | { readonly index: number };
export type Mutation =
  | { readonly kind: 'delete'; readonly at: Target }
  | { readonly kind: 'set'; readonly at: Target; readonly value: Value }
  | { readonly kind: 'add'; readonly at: Target; readonly key: string; readonly value: Value };

/** What the webhook reads from a delivery; everything else is the sender's business. */
export const READ_PATHS: readonly Path[] = [
  ['eventType'],
  ['resource', 'job', 'id'],
  ['resource', 'job', 'state'],
  ['resource', 'job', '_links'],
  ['resource', 'run', '_links'],
  ['resource', 'pipeline', 'url'],
  ['resourceContainers', 'account', 'baseUrl'],
  ['resourceContainers', 'collection', 'baseUrl'],
];

const FOCUS: readonly Path[] = [
  ...READ_PATHS,
  ['resource'],
  ['resource', 'job'],
  ['resource', 'job', '_links', 'web', 'href'],
  ['resource', 'run'],
  ['resource', 'pipeline'],
  ['resourceContainers'],
  ['resourceContainers', 'account'],
  ['publisherId'],
];

/** Any UTF-16 code unit, lone surrogates included: what a JavaScript string can hold. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const text = (maxLength: number) => fc.string({ unit: codeUnit, maxLength });

/** Long enough to break a Service Bus message id (128), a log line, or a 256 KB message. */
const huge = fc
  .record({
    piece: fc.oneof(fc.constantFrom('x', 'd3d3d3d3-', 'é', '😀', '\n'), text(3)),
    // mostly a few KB, sometimes past Service Bus's 256 KB: the big ones cost the most to run
    length: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 129, max: 4_096 }) }, { weight: 1, arbitrary: fc.integer({ min: 4_097, max: 400_000 }) }),
  })
  .map(({ piece, length }) => {
    const unit = piece || 'x';
    return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  });

const ids = fc.uuid().chain((u) =>
  fc.oneof(
    fc.constantFrom(u, u.toUpperCase(), `{${u}}`, u.replace(/-/g, ''), ` ${u}`, `${u}\n`, `${u}x`, `${u}-${u}`),
    // the issue's: an "id" longer than a Service Bus message id (128) or a whole message (256 KB)
    fc
      .oneof({ weight: 3, arbitrary: fc.integer({ min: 4, max: 100 }) }, { weight: 1, arbitrary: fc.integer({ min: 101, max: 8_000 }) })
      .map((n) => `${u}-`.repeat(n)),
  ),
);
const states = fc.mixedCase(fc.constantFrom('waiting', 'running', 'inProgress', 'completed', 'cancelling', 'notStarted', 'in progress', 'pending', ''));
const urls = fc.constantFrom(
  ORG_URL,
  `${ORG_URL}/`,
  ORG_URL.toUpperCase(),
  'https://fabrikamfiber.visualstudio.com/',
  'https://fabrikamfiber.visualstudio.com/DefaultCollection/',
  `${ORG_URL}/fabrikamfiber-viva/_build/results?buildId=2`,
  `${ORG_URL}x/project`,
  'https://dev.azure.com/northwind/',
  'https://user:pass@dev.azure.com/fabrikamfiber',
  'javascript:alert(1)',
  'http://[::1',
  '',
);
/** Text aimed at whoever reads the log: forged lines, terminal and bidi controls, template lookups. */
const injections = fc.constantFrom(
  '\r\nwebhook: accepted job 00000000-0000-0000-0000-000000000000',
  '\n[error] forged',
  'a\u2028b\u2029c',
  'x\u0085y',
  '\u202egnitiaw',
  '\u0000',
  '\u001b[31mred\u001b[0m',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '%0d%0a',
);
const rawLiterals = fc
  .oneof(
    fc.constantFrom(
      '1e400',
      '-0',
      '123456789012345678901234567890',
      '"\\ud800"',
      '"\\udfff\\ud800"',
      '"\\u0000"',
      '{"__proto__":{"id":"d3d3d3d3-eeee-ffff-aaaa-b4b4b4b4b4b4","state":"waiting","baseUrl":"https://dev.azure.com/fabrikamfiber/"}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"__proto__":null}',
      '{"toString":1,"valueOf":"x","hasOwnProperty":null}',
    ),
    fc.integer({ min: 1, max: 200_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
    fc.integer({ min: 1, max: 100_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
  )
  .map((t) => new Raw(t));

export const oddValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: ids },
  { weight: 4, arbitrary: states },
  { weight: 3, arbitrary: urls },
  { weight: 3, arbitrary: text(30) },
  { weight: 2, arbitrary: injections },
  { weight: 2, arbitrary: huge },
  { weight: 2, arbitrary: fc.constantFrom<Json>(null, true, false, 0, -1, 2.5, 1e21, [], {}) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: rawLiterals },
);

const keys = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'id', 'state', 'baseUrl', 'href', ''), text(10));
const target = (focus: readonly Path[]): fc.Arbitrary<Target> =>
  fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...focus).map((p) => ({ focus: p })) }, { weight: 1, arbitrary: fc.nat().map((index) => ({ index })) });

export const mutation = (focus: readonly Path[] = FOCUS): fc.Arbitrary<Mutation> =>
  fc.oneof(
    target(focus).map((at) => ({ kind: 'delete' as const, at })),
    fc.record({ kind: fc.constant('set' as const), at: target(focus), value: oddValue }),
    fc.record({ kind: fc.constant('add' as const), at: target(focus), key: keys, value: oddValue }),
  );

/** Every node of the document below the root, parents before children. */
function pathsOf(doc: unknown, prefix: Path = []): Path[] {
  if (doc === null || typeof doc !== 'object' || doc instanceof Raw) return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(doc) ? doc.map((v, i) => [i, v]) : Object.entries(doc);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

function resolve(doc: Record<string, unknown>, at: Target): Path | undefined {
  if ('focus' in at) return at.focus;
  const all = pathsOf(doc);
  return all.length > 0 ? all[at.index % all.length] : undefined;
}

function parentOf(doc: Record<string, unknown>, path: Path): Record<string | number, unknown> | undefined {
  let node: unknown = doc;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object' || node instanceof Raw || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node !== null && typeof node === 'object' && !(node instanceof Raw) ? (node as Record<string | number, unknown>) : undefined;
}

/** An own, enumerable property even for `__proto__`, as JSON.parse makes it. */
function put(node: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies the mutations in order, each to the document as the ones before left it; `allow` sees
 * the path a mutation would change (for `add`, the new key's) and can skip it.
 */
export function applyMutations(doc: Record<string, unknown>, mutations: readonly Mutation[], allow: (path: Path) => boolean = () => true): void {
  for (const m of mutations) {
    const path = resolve(doc, m.at);
    if (!path || path.length === 0 || !allow(m.kind === 'add' ? [...path, m.key] : path)) continue;
    const parent = parentOf(doc, path);
    const key = path[path.length - 1]!;
    if (!parent) continue;
    if (m.kind === 'delete') {
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
      else delete parent[key];
    } else if (m.kind === 'set') {
      put(parent, key, m.value);
    } else {
      const node = parent[key];
      if (node !== null && typeof node === 'object' && !Array.isArray(node) && !(node instanceof Raw)) put(node as Record<string, unknown>, m.key, m.value);
    }
  }
}

/** Whether a mutation at `path` can touch what the webhook reads: it is one of those fields, below one, or above one. */
export function touchesRead(path: Path): boolean {
  const prefix = (a: Path, b: Path) => a.length <= b.length && a.every((k, i) => String(k) === String(b[i]));
  return READ_PATHS.some((r) => prefix(path, r) || prefix(r, path));
}

export function serialise(doc: unknown): string {
  const raws: string[] = [];
  const json = JSON.stringify(doc, (_key, value: unknown) => {
    if (!(value instanceof Raw)) return value;
    raws.push(value.text);
    return `@@raw-${raws.length - 1}@@`;
  });
  return raws.reduce((t, raw, i) => t.replace(`"@@raw-${i}@@"`, () => raw), json);
}

/** How the text becomes bytes on the wire. */
export type Encoding =
  | { readonly kind: 'utf8' | 'utf8-bom' | 'utf16le-bom' | 'utf16le' | 'utf16be-bom' | 'latin1' }
  | { readonly kind: 'bad-bytes'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'nest'; readonly depth: number }
  | { readonly kind: 'replace'; readonly bytes: Uint8Array }
  | { readonly kind: 'pad'; readonly bytes: number };

export const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 30, arbitrary: fc.constant({ kind: 'utf8' as const }) },
  { weight: 6, arbitrary: fc.constantFrom(...(['utf8-bom', 'utf16le-bom', 'utf16le', 'utf16be-bom', 'latin1'] as const)).map((kind) => ({ kind })) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('bad-bytes' as const),
      at: fc.nat(),
      // a lone continuation byte, an overlong '/', an encoded surrogate, bytes UTF-8 never uses, a truncated sequence
      bytes: fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xfe, 0xff], [0xe2, 0x82]),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 1, max: 50_000 }) }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('', 'null', '[]', '"text"', '123', '{}', ' ').map((s) => new Uint8Array(Buffer.from(s))),
      )
      .map((bytes) => ({ kind: 'replace' as const, bytes })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 64 }).map((extra) => ({ kind: 'pad' as const, bytes: 2 * 1024 * 1024 + extra })) },
);

export function encode(text: string, e: Encoding): Buffer {
  const swap = (b: Buffer) => Buffer.from(b).swap16();
  switch (e.kind) {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8-bom':
      return Buffer.from(`\ufeff${text}`, 'utf8');
    case 'utf16le-bom':
      return Buffer.from(`\ufeff${text}`, 'utf16le');
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf16be-bom':
      return swap(Buffer.from(`\ufeff${text}`, 'utf16le'));
    case 'latin1':
      return Buffer.from(text, 'latin1');
    case 'bad-bytes': {
      const b = Buffer.from(text, 'utf8');
      const at = e.at % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
    }
    case 'truncate': {
      const b = Buffer.from(text, 'utf8');
      return b.subarray(0, e.at % (b.length + 1));
    }
    case 'nest':
      return Buffer.from('['.repeat(e.depth) + text + ']'.repeat(e.depth), 'utf8');
    case 'replace':
      return Buffer.from(e.bytes);
    case 'pad':
      // Valid JSON over the limit: only its size is wrong.
      return Buffer.concat([Buffer.from('{"padding":"'), Buffer.alloc(e.bytes, 'x'), Buffer.from('",'), Buffer.from(text.slice(1), 'utf8')]);
  }
}

export interface AuthCase {
  readonly header: string | null;
  /** Whether these are the configured credentials; undefined where a lenient decoder may go either way. */
  readonly valid: boolean | undefined;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const pair = `${USERNAME}:${PASSWORD}`;

export const auth: fc.Arbitrary<AuthCase> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .tuple(fc.constantFrom('Basic', 'basic', 'BASIC'), fc.constantFrom(' ', '  ', '\t'), fc.constantFrom('', ' ', '\t'))
      .map(([scheme, gap, tail]) => ({ header: `${scheme}${gap}${b64(pair)}${tail}`, valid: true })),
  },
  {
    weight: 6,
    arbitrary: fc
      .constantFrom<string | null>(
        null,
        '',
        'Basic',
        'Basic ',
        'Basic !!!',
        'Basic Og==',
        `Basic ${b64(`${USERNAME}:nope`)}`,
        `Basic ${b64(`nope:${PASSWORD}`)}`,
        `Basic ${b64(USERNAME)}`,
        `Basic ${b64(`${pair}x`)}`,
        `Basic ${b64(` ${pair}`)}`,
        `Basic ${b64(`${USERNAME.toUpperCase()}:${PASSWORD}`)}`,
        `Basic ${Buffer.from(pair, 'utf16le').toString('base64')}`,
        `Basic ${b64(pair)} Basic ${b64(pair)}`,
        `Basic ${b64(pair)},Basic Og==`,
        `Basic ${Buffer.from(pair).toString('base64url')}x`,
        `${b64(pair)}`,
        `Bearer ${b64(pair)}`,
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG8ifQ.',
        `Digest username="${USERNAME}", realm="x", response="0"`,
        'Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgI=',
        'NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==',
      )
      .map((header) => ({ header, valid: false })),
  },
  { weight: 2, arbitrary: text(60).map((header) => ({ header, valid: false })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.boolean())
      .map(([n, prefixed]) => ({ header: prefixed ? `Basic ${b64(pair)} ${'x'.repeat(n)}` : `Basic ${'QUFB'.repeat(Math.floor(n / 4))}`, valid: false })),
  },
  { weight: 1, arbitrary: fc.constant({ header: `Basic ${b64(pair).replace(/=+$/, '')}`, valid: undefined }) },
);

export interface ContentTypeCase {
  readonly value: string | null;
  /** Whether it says JSON; undefined for what the test does not judge. */
  readonly json: boolean | undefined;
}

export const contentType: fc.Arbitrary<ContentTypeCase> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .constantFrom<string | null>(
        null,
        'application/json',
        'application/json; charset=utf-8',
        'Application/JSON',
        'application/vnd.api+json',
        ' application/json ',
        'application/json;charset=UTF-8',
      )
      .map((value) => ({ value, json: true })),
  },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(
        'text/plain',
        'text/html',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/xml',
        'json',
        'text/plain; a=application/json',
      )
      .map((value) => ({ value, json: false })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        text(40),
        injections.map((i) => `text/plain${i}`),
        fc.integer({ min: 1_000, max: 50_000 }).map((n) => `application/json; ${'x'.repeat(n)}`),
        fc.integer({ min: 1_000, max: 50_000 }).map((n) => `text/${'\u0085'.repeat(n)}`),
        fc.constantFrom('', 'application/json; charset=utf-16', 'application/json\u0000'),
      )
      .map((value) => ({ value, json: undefined })),
  },
);

/** The Content-Length header: absent, the body's length (`true`), or a lie. */
export const declaredLength = fc.constantFrom<string | null | true>(null, true, true, 'abc', '-1', '0', '1e12', ' 5 ', String(2 * 1024 * 1024 + 1));

export interface DeliveryCase {
  readonly jobId: string;
  readonly state: string;
  /** Whether the organization's one pool keeps standby agents (so a running job matters). */
  readonly standby: boolean;
  readonly mutations: readonly Mutation[];
  readonly encoding: Encoding;
  readonly auth: AuthCase;
  readonly contentType: ContentTypeCase;
  readonly declaredLength: string | null | true;
  /** How the body arrives: chunks of this many bytes. */
  readonly chunk: number;
}

export const validState = fc.mixedCase(fc.constantFrom('waiting', 'running', 'inProgress', 'completed'));

export const deliveryCase: fc.Arbitrary<DeliveryCase> = fc.record({
  jobId: fc.uuid(),
  state: validState,
  standby: fc.boolean(),
  mutations: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 7, arbitrary: fc.array(mutation(), { minLength: 1, maxLength: 4 }) }),
  encoding,
  auth,
  contentType,
  declaredLength,
  chunk: fc.oneof(
    { weight: 3, arbitrary: fc.constant(64 * 1024) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 * 1024 }) },
  ),
});

/** The documented sample for this job and state, before any mutation. */
export function sampleFor(jobId: string, state: string): Record<string, unknown> {
  const doc = structuredClone(DOCUMENTED_SAMPLE) as Record<string, unknown>;
  const job = (doc.resource as { job: Record<string, unknown> }).job;
  job.id = jobId;
  job.state = state;
  job.result = null;
  return doc;
}
