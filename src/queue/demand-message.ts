import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseMessageBody } from './message-body';

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
 * The Service Bus messageId: (organization, job, reconcile period). Within one period a
 * redelivered webhook, a duplicate event and the sweep that finds the same job carry the same
 * id and collapse under duplicate detection. The next period's sweep gets a new id, so a job
 * that still waits (its agent died, or ADO gave it another job) is demanded again instead of
 * being dropped as a duplicate for the whole detection window (invariant 2). Demands that
 * straddle a period boundary are two messages; the consumer's claim and derived agent names
 * make the second one harmless. The org key is hashed to keep the id short (128 at most).
 */
export function demandMessageId(orgKey: string, jobId: string, observedAt: string, periodSeconds: number): string {
  const org = createHash('sha256').update(orgKey).digest('hex').slice(0, 16);
  const period = Math.floor((Date.parse(observedAt) || 0) / (periodSeconds * 1000));
  return `demand-v1-${org}-${jobId.toLowerCase()}-${period}`;
}

export type ParsedDemand = { ok: true; demand: DemandMessage } | { ok: false; reason: string };

/** For the consumer: bodies arrive as parsed JSON or a string, depending on the sender. */
export function parseDemandMessage(body: unknown): ParsedDemand {
  const parsed = parseMessageBody(demandMessageSchema, body, 'demand message');
  return parsed.ok ? { ok: true, demand: parsed.value } : parsed;
}
