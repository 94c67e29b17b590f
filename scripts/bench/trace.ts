import { z } from 'zod';
import type { Latency } from '../../emulators/core/latency';

/**
 * A trace: the jobs that arrive (when, in which pool, with which demands, for how long) and the
 * world they arrive in (start latencies, lost events, ARM limits). Times are in seconds of model
 * time from the start of the run. A user's own trace is this JSON (`npm run bench -- --trace f.json`).
 */
const seconds = z.number().min(0);

const latencySeconds = z.union([
  seconds,
  z.strictObject({ kind: z.literal('fixed'), seconds }),
  z.strictObject({ kind: z.literal('uniform'), min: seconds, max: seconds }),
  z.strictObject({ kind: z.literal('lognormal'), median: z.number().positive(), p95: z.number().positive() }),
]);

const job = z.strictObject({
  /** Seconds after the start when ADO queues the job. */
  at: seconds,
  pool: z.string().min(1),
  demands: z.array(z.string()).default([]),
  /** How long the job runs once an agent has it. */
  durationSeconds: seconds,
  /** Cancelled this long after it was queued, if no agent has taken it by then. */
  cancelAfterSeconds: seconds.optional(),
});

export const traceSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** The scaler's configuration document; the bench's three-profile default when absent. */
  config: z.unknown().optional(),
  latencies: z
    .strictObject({
      /** ACI: from the create to the container running (image pull included). */
      aciStart: latencySeconds.optional(),
      /** AKS virtual node: from the Job's create to its pod running. */
      aksStart: latencySeconds.optional(),
      /** From the container running to the agent registered (config.sh). */
      agentRegistration: latencySeconds.optional(),
    })
    .default({}),
  faults: z
    .strictObject({
      /** Share of service hook deliveries ADO never makes, and of those it makes twice. */
      hookLossRate: z.number().min(0).max(1).default(0),
      hookDuplicateRate: z.number().min(0).max(1).default(0),
      /** ACI's container group create limit, e.g. 100 per 300 s. */
      aciCreateLimit: z.strictObject({ count: z.int().min(1), windowSeconds: z.number().positive() }).optional(),
      /** Bursts of ARM 429s on container group creates: at each offset, the next `count` creates are refused. */
      armThrottle: z.strictObject({ at: z.array(seconds), count: z.int().min(1), retryAfterSeconds: z.int().min(1) }).optional(),
    })
    .default({ hookLossRate: 0, hookDuplicateRate: 0 }),
  /** The run ends when every job has ended or this long after the last arrival. */
  drainSeconds: seconds.default(900),
  jobs: z.array(job).min(1),
});

export type Trace = z.output<typeof traceSchema>;
export type TraceJob = Trace['jobs'][number];
export type LatencySeconds = z.output<typeof latencySeconds>;

/** Parses a trace, naming every problem with its path. */
export function parseTrace(value: unknown, source: string): Trace {
  const result = traceSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  - ${i.path.join('.') || '(trace)'}: ${i.message}`);
  throw new Error(`${source} is not a valid trace (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`);
}

export function latencyMs(l: LatencySeconds): Latency {
  if (typeof l === 'number') return l * 1000;
  switch (l.kind) {
    case 'fixed':
      return { kind: 'fixed', ms: l.seconds * 1000 };
    case 'uniform':
      return { kind: 'uniform', minMs: l.min * 1000, maxMs: l.max * 1000 };
    case 'lognormal':
      return { kind: 'lognormal', medianMs: l.median * 1000, p95Ms: l.p95 * 1000 };
  }
}
