import type { Message } from 'rhea';

/**
 * Service Bus duplicate detection: a messageId seen within the window is accepted from the
 * sender and silently dropped. Messages without a messageId are never duplicates.
 */
export class DuplicateDetection {
  private readonly seen = new Map<string, number>();

  /** 0 = off. */
  constructor(private readonly windowMs: number) {}

  /** Records the id as seen unless it is a duplicate. */
  isDuplicate(messageId: Message['message_id'], now: number): boolean {
    if (this.windowMs <= 0 || messageId === undefined || messageId === null) return false;
    const key = Buffer.isBuffer(messageId) ? `b:${messageId.toString('hex')}` : `v:${messageId}`;
    const expiresAt = this.seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return true;
    this.seen.set(key, now + this.windowMs);
    return false;
  }

  forgetExpired(now: number): void {
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt <= now) this.seen.delete(key);
    }
  }
}
