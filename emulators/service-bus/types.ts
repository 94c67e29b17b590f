import type { Clock } from '../core/clock';

export interface EmulatedQueueOptions {
  name: string;
  /** Deliveries before the broker dead-letters with `MaxDeliveryCountExceeded`. Default 10. */
  maxDeliveryCount?: number;
  /** Default 30000. */
  lockDurationMs?: number;
  /** Default 600000; 0 turns duplicate detection off. */
  duplicateDetectionWindowMs?: number;
}

export interface ServiceBusEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  queues: EmulatedQueueOptions[];
  /** Drives enqueue times, locks, schedules and duplicate windows; `Date.now` by default. */
  now?: Clock;
}

export interface InspectedMessage {
  body: unknown;
  messageId: string | number | Buffer | undefined;
  applicationProperties: Record<string, unknown>;
  /** Deliveries so far: what the SDK reports as `deliveryCount` on the next receive. */
  deliveryCount: number;
  sequenceNumber: number;
  enqueuedTimeUtc: Date;
  scheduledEnqueueTimeUtc?: Date;
  lockedUntilUtc?: Date;
  deadLetterReason?: string;
  deadLetterErrorDescription?: string;
}

export interface QueueInspector {
  /** Receivable now (not locked, not deferred, not scheduled for later). */
  active(): InspectedMessage[];
  scheduled(): InspectedMessage[];
  deadLettered(): InspectedMessage[];
  locked(): InspectedMessage[];
  deferred(): InspectedMessage[];
  /** Every message the queue accepted (duplicates dropped by detection are not), whatever became of it since. */
  accepted(): InspectedMessage[];
}

export interface ServiceBusEmulator {
  readonly port: number;
  readonly connectionString: string;
  queue(name: string): QueueInspector;
  /** false drops every connection and refuses new ones until set back to true. */
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}
