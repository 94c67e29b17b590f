import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Demand for one agent: "job X in organization Y may be waiting". Both intake paths produce it;
 * the launch function resolves it against ADO before acting, so a stale or duplicated demand
 * costs one lookup and never a second agent.
 *
 * Versioned: the consumer rejects (dead-letters) versions it does not know rather than guessing.
 */
export const demandMessageSchema = z.strictObject({
  version: z.literal(1),
  /** Normalised organization URL, as configured. */
  orgUrl: z.string().url(),
  jobId: z.string().min(1),
  /** Known to the sweep; the webhook only knows the job, ADO's event carries no pool. */
  poolName: z.string().optional(),
  requestId: z.number().int().optional(),
  projectId: z.string().optional(),
  source: z.enum(['webhook', 'sweep']),
  /** ISO time the demand was observed, for queue-to-agent latency. */
  observedAt: z.string(),
});

export type DemandMessage = z.infer<typeof demandMessageSchema>;

/**
 * The Service Bus messageId. Derived from (organization, job) only, so a redelivered webhook,
 * a duplicate event and the sweep that finds the same job all collapse under duplicate
 * detection. The org key is hashed to keep the id short (Service Bus allows 128 characters).
 */
export function demandMessageId(orgKey: string, jobId: string): string {
  const org = createHash('sha256').update(orgKey).digest('hex').slice(0, 16);
  return `demand-v1-${org}-${jobId.toLowerCase()}`;
}

export type ParsedDemand = { ok: true; demand: DemandMessage } | { ok: false; reason: string };

/** For the consumer: bodies arrive as parsed JSON or a string, depending on the sender. */
export function parseDemandMessage(body: unknown): ParsedDemand {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { ok: false, reason: 'demand message body is not JSON' };
    }
  }
  const result = demandMessageSchema.safeParse(value);
  if (result.success) return { ok: true, demand: result.data };
  const first = result.error.issues[0];
  return { ok: false, reason: `invalid demand message: ${first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unknown'}` };
}
