import type { EntityAddress } from './addresses';
import { entityNotFound } from './broker-error';
import { QueueStore } from './queue-store';
import { inspect } from './stored-message';
import type { EmulatedQueueOptions, QueueInspector } from './types';
import type { Clock } from '../core/clock';

interface Entity {
  queue: QueueStore;
  deadLetter: QueueStore;
}

/** The namespace: its queues (each with a dead-letter sub-queue) and the broker clock. */
export class Broker {
  /** Keyed by lower-case name: Service Bus entity names are case-insensitive. */
  private readonly entities = new Map<string, Entity>();

  constructor(
    queues: EmulatedQueueOptions[],
    readonly now: Clock,
    private readonly namespaceUri: () => string,
  ) {
    for (const options of queues) {
      const settings = {
        maxDeliveryCount: options.maxDeliveryCount ?? 10,
        lockDurationMs: options.lockDurationMs ?? 30_000,
        duplicateDetectionWindowMs: options.duplicateDetectionWindowMs ?? 600_000,
      };
      const deadLetter = new QueueStore(`${options.name}/$DeadLetterQueue`, {
        ...settings,
        maxDeliveryCount: Number.POSITIVE_INFINITY,
        duplicateDetectionWindowMs: 0,
      });
      this.entities.set(options.name.toLowerCase(), {
        queue: new QueueStore(options.name, settings, deadLetter),
        deadLetter,
      });
    }
  }

  /** The store an address names; unknown queues fail the way Service Bus reports them. */
  resolve(address: EntityAddress): QueueStore {
    const entity = this.entities.get(address.queue.toLowerCase());
    if (!entity) throw entityNotFound(`${this.namespaceUri()}${address.queue}`);
    return address.deadLetter ? entity.deadLetter : entity.queue;
  }

  /** Lets time act on every queue; true if any message became receivable. */
  advance(): boolean {
    const now = this.now();
    let activated = false;
    for (const { queue, deadLetter } of this.entities.values()) {
      activated = queue.advance(now) || activated;
      activated = deadLetter.advance(now) || activated;
    }
    return activated;
  }

  inspector(name: string): QueueInspector {
    const entity = this.entities.get(name.toLowerCase());
    if (!entity) throw new Error(`Service Bus emulator: no queue named '${name}'; configure it in options.queues.`);
    const { queue, deadLetter } = entity;
    return {
      active: () => queue.list('active').map(inspect),
      scheduled: () => queue.list('scheduled').map(inspect),
      locked: () => queue.list('locked').map(inspect),
      deferred: () => queue.list('deferred').map(inspect),
      accepted: () => queue.history().map(inspect),
      deadLettered: () =>
        [...deadLetter.list('active'), ...deadLetter.list('locked'), ...deadLetter.list('deferred')]
          .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
          .map(inspect),
    };
  }
}
