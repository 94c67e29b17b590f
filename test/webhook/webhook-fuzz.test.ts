import { Readable } from 'node:stream';
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/config/config-error';
import { parseConfig } from '../../src/config/load-settings';
import type { OrganizationConfig } from '../../src/config/schema';
import { parsePoolSignal, type ParsedSignal } from '../../src/queue/pool-signal';
import { createSignalQueue } from '../../src/queue/signal-queue';
import { Counters } from '../../src/metrics/counters';
import { handleDelivery, MAX_BODY_BYTES, type DeliveryResult } from '../../src/webhook/handle-delivery';
import { readBodyLimited } from '../../src/webhook/read-body';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../emulators/service-bus/service-bus-emulator';
import {
  applyMutations,
  deliveryCase,
  encode,
  GUID,
  mutation,
  ORG_URL,
  PASSWORD,
  POOL,
  sampleFor,
  serialise,
  touchesRead,
  USERNAME,
  validState,
} from './delivery-arbitraries';

// Property-based fuzzing of the webhook as ADO (or anyone) reaches it: body read with its limit,
// handler, the real signal queue and @azure/service-bus sender against the Service Bus emulator.
// ADO retries a 503 and then puts the subscription on probation, dropping events: bad input must
// be a 4xx, whatever it holds, and only an accepted delivery may send anything.
// `npm test` runs a fixed seed; `npm run fuzz -- --runs N [--seed S]` sets FUZZ_RUNS / FUZZ_SEED.

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.FUZZ_RUNS ? Date.now() % 2 ** 31 : 20_261_110;
const TIMEOUT_MS = Math.max(60_000, RUNS * 30);
if (process.env.FUZZ_RUNS) console.warn(`webhook fuzz: ${RUNS} runs, seed ${SEED}`);

const ANSWERS = [200, 202, 400, 401, 413, 415];
/** What must not reach a log line or a reason: line breaks, terminal and bidi controls. */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const MAX_ECHO = 512;
/** The emulator's inspector decodes a queue's whole history on each look: a queue serves this many deliveries, then the next takes over. */
const DELIVERIES_PER_QUEUE = 500;
const QUEUES = Math.ceil((RUNS * 2) / DELIVERIES_PER_QUEUE) + 2;

function organization(standby: boolean): OrganizationConfig {
  const problems: ConfigProblem[] = [];
  const config = parseConfig(
    {
      organizations: [
        {
          url: ORG_URL,
          auth: { kind: 'pat', vaultUrl: 'https://kv.vault.azure.net', secretName: 'ado-pat' },
          pools: [
            {
              name: POOL,
              profiles: [
                {
                  name: 'default',
                  image: 'contosoacr.azurecr.io/ado-agent:4',
                  standby: standby ? [{ days: '*', from: '00:00', to: '24:00', timeZone: 'UTC', agents: 1 }] : [],
                  launcher: { kind: 'aci', subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg', location: 'westeurope' },
                },
              ],
            },
          ],
        },
      ],
    },
    problems,
  );
  expect(problems).toEqual([]);
  return config!.organizations[0]!;
}

let emulator: ServiceBusEmulator;
let client: ServiceBusClient;
let orgs: { readonly withStandby: OrganizationConfig; readonly without: OrganizationConfig };
let deliveries = 0;
let current: { index: number; sender: ServiceBusSender; accepted: number } | undefined;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ queues: Array.from({ length: QUEUES }, (_, i) => ({ name: `signals-${i}` })) });
  client = new ServiceBusClient(emulator.connectionString);
  orgs = { withStandby: organization(true), without: organization(false) };
});
afterAll(async () => {
  await current?.sender.close();
  await client?.close();
  await emulator?.close();
});

async function queueFor(index: number): Promise<NonNullable<typeof current>> {
  if (current?.index !== index) {
    await current?.sender.close();
    current = { index, sender: client.createSender(`signals-${index}`), accepted: emulator.queue(`signals-${index}`).accepted().length };
  }
  return current;
}

interface Request {
  readonly authorization: string | null;
  readonly contentType: string | null;
  readonly bytes: Buffer;
  readonly declaredLength: string | null;
  readonly chunk: number;
  readonly standby: boolean;
}

interface Answer extends DeliveryResult {
  readonly signals: readonly ParsedSignal[];
  readonly logs: readonly string[];
  readonly counted: Record<'webhookAccepted' | 'webhookIgnored' | 'webhookRejected', number>;
}

/** One delivery through what functions/webhook.ts does, with a signal queue of its own, and what Service Bus accepted for it. */
async function deliver(request: Request): Promise<Answer> {
  const n = deliveries++;
  const queueIndex = Math.floor(n / DELIVERIES_PER_QUEUE) % QUEUES;
  const queue = await queueFor(queueIndex);
  const logs: string[] = [];
  const record = (...args: unknown[]) => logs.push(args.map(String).join(' '));
  const counters = new Counters();
  const chunks: Buffer[] = [];
  // Chunk boundaries fall inside characters and tokens; at most 100 chunks keeps a 2 MB body quick.
  const size = Math.max(request.chunk, Math.ceil(request.bytes.length / 100));
  for (let at = 0; at < request.bytes.length; at += size) chunks.push(request.bytes.subarray(at, at + size));
  const body = await readBodyLimited(Readable.from(chunks), MAX_BODY_BYTES, request.declaredLength);
  const result = await handleDelivery(
    { authorization: request.authorization, contentType: request.contentType, body },
    {
      credentials: { username: USERNAME, password: PASSWORD },
      organizations: [request.standby ? orgs.withStandby : orgs.without],
      // A queue of its own: nothing this process sent for an earlier case holds this one's signal back.
      signals: createSignalQueue(queue.sender, Date.now, `fuzz-${n}`),
      counters,
      now: Date.now,
      log: { info: record, warn: record, error: record },
    },
  );
  const accepted = emulator.queue(`signals-${queueIndex}`).accepted();
  const sent = accepted.slice(queue.accepted);
  queue.accepted = accepted.length;
  return {
    ...result,
    signals: sent.map((m) => parsePoolSignal(m.body)),
    logs,
    counted: {
      webhookAccepted: counters.get('webhookAccepted'),
      webhookIgnored: counters.get('webhookIgnored'),
      webhookRejected: counters.get('webhookRejected'),
    },
  };
}

const isRunning = (state: string) => ['running', 'inprogress'].includes(state.toLowerCase());
const tally = new Map<string, number>();
const baselines = new Map<string, Answer>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

describe('webhook fuzzing', () => {
  it(
    'answers any delivery 200, 202 or 4xx, and a 202 alone sends: one valid signal for the one pool',
    () =>
      fc.assert(
        fc.asyncProperty(deliveryCase, async (c) => {
          const doc = sampleFor(c.jobId, c.state);
          applyMutations(doc, c.mutations);
          const bytes = encode(serialise(doc), c.encoding);
          const declaredLength = c.declaredLength === true ? String(bytes.length) : c.declaredLength;
          const answer = await deliver({
            authorization: c.auth.header,
            contentType: c.contentType.value,
            bytes,
            declaredLength,
            chunk: c.chunk,
            standby: c.standby,
          });

          count(String(answer.status));
          expect(ANSWERS, answer.body.reason).toContain(answer.status);
          for (const line of [answer.body.reason, ...answer.logs]) {
            expect(line.length, line.slice(0, 200)).toBeLessThanOrEqual(MAX_ECHO);
            expect(line, 'a line break or control character in a reason or log line').not.toMatch(UNSAFE);
            expect(line).not.toContain(PASSWORD);
          }
          const counted = {
            webhookAccepted: answer.status === 202 ? 1 : 0,
            webhookIgnored: answer.status === 200 ? 1 : 0,
            webhookRejected: answer.status >= 400 ? 1 : 0,
          };
          expect(answer.counted).toEqual(counted);

          if (answer.status === 202) {
            expect(answer.signals).toHaveLength(1);
            const parsed = answer.signals[0]!;
            expect(parsed.ok, parsed.ok ? '' : parsed.reason).toBe(true);
            const signal = parsed.ok ? parsed.signal : undefined;
            expect(signal).toMatchObject({ version: 2, orgUrl: ORG_URL, pool: POOL, reason: 'event' });
            if (signal?.jobId !== undefined) expect(signal.jobId).toMatch(GUID);
          } else {
            expect(answer.signals).toEqual([]);
          }

          const tooLarge = Number(declaredLength) > MAX_BODY_BYTES || bytes.length > MAX_BODY_BYTES;
          if (c.auth.valid === false) expect(answer.status, 'credentials other than the configured ones').toBe(401);
          if (c.auth.valid !== true) return;
          if (tooLarge) expect(answer.status).toBe(413);
          else if (c.contentType.json === false) expect(answer.status).toBe(415);
          else if (c.contentType.json && c.mutations.length === 0 && (c.encoding.kind === 'utf8' || c.encoding.kind === 'utf8-bom')) {
            // The documented sample, untouched but for the job: what ADO sends.
            count('documented');
            const expected = isRunning(c.state) && !c.standby ? 200 : 202;
            expect(answer.status, `job state ${c.state}${c.standby ? ' with standby' : ''}: ${answer.body.reason}`).toBe(expected);
            if (expected === 202 && c.state.toLowerCase() === 'waiting') expect(answer.signals[0]).toMatchObject({ signal: { jobId: c.jobId } });
          }
        }),
        { numRuns: RUNS, seed: SEED },
      ),
    TIMEOUT_MS,
  );

  it(
    'answers the documented sample the same whatever the fields it does not read hold',
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.record({ jobId: fc.uuid(), state: validState, standby: fc.boolean(), mutations: fc.array(mutation(), { minLength: 1, maxLength: 4 }) }),
          async ({ jobId, state, standby, mutations }) => {
            const documented = sampleFor(jobId, state);
            const changed = sampleFor(jobId, state);
            applyMutations(changed, mutations, (path) => !touchesRead(path));
            const bytes = Buffer.from(serialise(changed));
            // The body's size is read: past the limit the answer is rightly 413.
            fc.pre(bytes.length <= MAX_BODY_BYTES);
            const request = (doc: unknown): Request => ({
              authorization: `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`,
              contentType: 'application/json; charset=utf-8',
              bytes: doc === changed ? bytes : Buffer.from(serialise(doc)),
              declaredLength: null,
              chunk: 64 * 1024,
              standby,
            });
            // The untouched sample's answer depends on the state and the standby only: asked once each.
            const key = `${state}|${standby}`;
            const before = baselines.get(key) ?? (await deliver(request(documented)));
            baselines.set(key, before);
            const after = await deliver(request(changed));
            expect(after.body, serialise(changed).slice(0, 2_000)).toEqual(before.body);
            expect(after.signals.length).toBe(before.signals.length);
          },
        ),
        { numRuns: Math.ceil(RUNS / 4), seed: SEED },
      ),
    TIMEOUT_MS,
  );

  it.skipIf(process.env.FUZZ_RUNS !== undefined && RUNS < 500)('reached every answer, and the documented sample often', () => {
    // Guards the generators: a fuzzer that only ever got 401 would prove nothing.
    for (const status of ANSWERS) expect(tally.get(String(status)) ?? 0, `answers ${status}`).toBeGreaterThan(RUNS / 200);
    expect(tally.get('documented') ?? 0).toBeGreaterThan(RUNS / 50);
  });
});
