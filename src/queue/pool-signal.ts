import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseMessageBody } from './message-body';

/**
 * "Pool P needs a look": what the webhook (event), the reconcile timer and the app's start (timer),
 * upkeep finding agents gone (agent) and the scheduler itself (scheduled: a grace, a back-off or
 * a standby window ending) tell the scheduler. It carries no job: the pass reads the
 * pool's state itself, so a signal can be late, doubled or lost without harm beyond delay.
 */
export const poolSignalSchema = z.strictObject({
  version: z.literal(2),
  /** Normalised organization URL, as configured. */
  orgUrl: z.url(),
  pool: z.string().min(1),
  reason: z.enum(['event', 'timer', 'agent', 'scheduled']),
  /** A waiting job the event announced: a pass whose listing does not show it yet looks again shortly. */
  jobId: z.string().min(1).optional(),
  /** ISO time the signal was raised. */
  observedAt: z.string(),
});

export type PoolSignal = z.infer<typeof poolSignalSchema>;

/** How long signals for one pool gather before the one pass they ask for. */
export const SIGNAL_WINDOW_MS = 500;

/**
 * Every signal for a pool within one window gets the same messageId and the same delivery time,
 * the window's end: Service Bus duplicate detection keeps the first and drops the rest, so a
 * burst of events costs one pass, which sees all that they announced. The ids stay short
 * (Service Bus allows 128 characters) whatever the organization and pool are called.
 */
export function signalDelivery(
  orgKey: string,
  pool: string,
  atMs: number,
  windowMs = SIGNAL_WINDOW_MS,
): { readonly scope: string; readonly messageId: string; readonly deliverAt: Date } {
  const window = Math.floor(atMs / windowMs);
  const scope = createHash('sha256').update(`${orgKey}|${pool.toLowerCase()}`).digest('hex').slice(0, 24);
  return { scope, messageId: `look-v2-${scope}-${window}`, deliverAt: new Date((window + 1) * windowMs) };
}

/**
 * The id of a quiet pool's first signal, delivered at once rather than at the window's end. It
 * names the sending instance: were it shared, an instance whose event came after another
 * instance's pass had read ADO would see its signal dropped as a duplicate and its event missed.
 */
export function leadMessageId(scope: string, atMs: number, instance: string, windowMs = SIGNAL_WINDOW_MS): string {
  return `look-v2-${scope}-${Math.floor(atMs / windowMs)}-${instance}`;
}

export type ParsedSignal = { ok: true; signal: PoolSignal } | { ok: false; reason: string };

/** For the consumer: bodies arrive as parsed JSON or a string, depending on the sender. */
export function parsePoolSignal(body: unknown): ParsedSignal {
  const parsed = parseMessageBody(poolSignalSchema, body, 'pool signal');
  return parsed.ok ? { ok: true, signal: parsed.value } : parsed;
}
