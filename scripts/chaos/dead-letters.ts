import { parsePoolSignal } from '../../src/queue/pool-signal';
import type { InspectedMessage } from '../../emulators/service-bus/service-bus-emulator';

export interface DeadLetterCause {
  /** `bad message`: no pass could ever read it; `transient`: a signal that could have been served (an outage, a crash, a bug). */
  readonly cause: 'bad message' | 'transient';
  readonly messageId: string;
  /** Service Bus's dead-letter reason and description, e.g. MaxDeliveryCountExceeded. */
  readonly reason: string;
  readonly description: string;
  /** Why the body can never be read, for a bad message. */
  readonly detail?: string;
}

/**
 * Why each dead-lettered message got there. The Functions worker cannot dead-letter a message
 * itself, so Service Bus's reason is MaxDeliveryCountExceeded either way; the body tells the two
 * causes apart. A message no pass can read belongs in the dead-letter queue; a valid pool signal
 * means something passing (an outage, a killed host, a failing lease) exhausted its deliveries.
 */
export function classifyDeadLetters(messages: readonly InspectedMessage[]): DeadLetterCause[] {
  return messages.map((m) => {
    const parsed = parsePoolSignal(m.body);
    const base = { messageId: String(m.messageId), reason: m.deadLetterReason ?? '(none)', description: m.deadLetterErrorDescription ?? '(none)' };
    return parsed.ok ? { cause: 'transient', ...base } : { cause: 'bad message', ...base, detail: parsed.reason };
  });
}

/** `2 bad message: MaxDeliveryCountExceeded ("Message could not be consumed after 5 delivery attempts.")`, per cause, reason and description. */
export function summariseDeadLetters(causes: readonly DeadLetterCause[]): string {
  const counts = new Map<string, number>();
  for (const c of causes) {
    const key = `${c.cause}: ${c.reason} ("${c.description}")`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n} ${key}`).join(', ') || 'none';
}
