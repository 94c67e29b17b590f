import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { create_container } from 'rhea';
import type { Connection, Container, Delivery, EventContext, Message, Receiver, Sender } from 'rhea';
import { isCbsAddress, parseEntityAddress } from './addresses';
import type { EntityAddress } from './addresses';
import type { Broker } from './broker';
import { BrokerError, asBrokerError } from './broker-error';
import type { DeliveryPump } from './delivery-pump';
import type { QueueStore } from './queue-store';
import { handleManagementRequest } from './management';
import { acceptAnySasl, acceptSocket, markSocketGone, setLocalAttach } from './rhea-internals';
import { unpackBatch } from './batch';
import { answerRequest } from './request-response';
import type { Reply } from './request-response';

/** Service Bus Standard tier's maximum message size, advertised so the SDK sizes batches. */
const maxMessageSize = 256 * 1024;
const batchFormat = 0x80013700;

/**
 * The AMQP 1.0 endpoint (plain TCP, as the SDK connects with UseDevelopmentEmulator=true):
 * routes links to $cbs, `{entity}/$management` and queues, and can play an outage.
 */
export class AmqpServer {
  private readonly container: Container;
  private readonly server: Server;
  private readonly connections = new Map<Socket, Connection>();
  private available = true;

  constructor(
    private readonly broker: Broker,
    private readonly pump: DeliveryPump,
  ) {
    this.container = create_container({
      id: 'service-bus-emulator',
      autoaccept: false,
      // Abandon and defer are both `modified`; they differ in undeliverable_here.
      treat_modified_as_released: false,
    });
    acceptAnySasl(this.container);
    this.subscribe();
    this.server = createServer((socket) => this.onSocket(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  setAvailable(available: boolean): void {
    this.available = available;
    if (!available) this.dropConnections();
  }

  async close(): Promise<void> {
    this.available = false;
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onSocket(socket: Socket): void {
    socket.on('error', () => undefined);
    // Refusing at accept time makes the SDK's connection attempt fail fast, like an outage.
    if (!this.available) {
      socket.destroy();
      return;
    }
    const connection = this.container.create_connection();
    acceptSocket(connection, socket);
    this.connections.set(socket, connection);
    socket.once('close', () => this.connections.delete(socket));
  }

  private dropConnections(): void {
    for (const [socket, connection] of this.connections) {
      socket.destroy();
      markSocketGone(connection);
    }
    this.connections.clear();
  }

  private subscribe(): void {
    const on = (event: string, handler: (context: EventContext) => void): void => {
      this.container.on(event, handler);
    };
    on('receiver_open', (context) => this.onClientSender(context.receiver as Receiver));
    on('sender_open', (context) => this.onClientReceiver(context.sender as Sender));
    on('message', (context) => this.onMessage(context));
    for (const outcome of ['accepted', 'rejected', 'modified', 'released']) {
      on(outcome, (context) => this.onOutcome(context.sender as Sender, context.delivery as Delivery));
    }
    on('sendable', () => this.pump.request());
    on('sender_draining', () => this.pump.request());
    on('sender_close', (context) => this.pump.removeConsumer(context.sender as Sender));
    on('disconnected', (context) => this.forgetConnection(context.connection));
    on('connection_close', (context) => this.forgetConnection(context.connection));
    // Peers closing with errors, or sockets dying, are routine for a test broker.
    for (const event of ['error', 'connection_error', 'session_error', 'sender_error', 'receiver_error', 'protocol_error']) {
      on(event, () => undefined);
    }
  }

  /** The client attached a sender: to $cbs, a $management node, or a queue. */
  private onClientSender(receiver: Receiver): void {
    receiver.set_target(receiver.target);
    const address = receiver.target.address;
    if (isCbsAddress(address)) return;
    const entity = parseEntityAddress(address ?? '');
    if (this.resolveOrRefuse(receiver, entity) && !entity.management) {
      setLocalAttach(receiver, { max_message_size: maxMessageSize });
    }
  }

  /** The client attached a receiver: a request/response reply link or a queue consumer. */
  private onClientReceiver(sender: Sender): void {
    sender.set_source(sender.source);
    sender.set_target(sender.target);
    setLocalAttach(sender, definedOnly({ snd_settle_mode: sender.snd_settle_mode, rcv_settle_mode: sender.rcv_settle_mode }));
    const address = sender.source.address;
    if (isCbsAddress(address)) return;
    const entity = parseEntityAddress(address ?? '');
    const store = this.resolveOrRefuse(sender, entity);
    // snd-settle-mode "settled" is how the SDK asks for receiveAndDelete.
    if (store && !entity.management) this.pump.addConsumer(sender, store, sender.snd_settle_mode === 1);
  }

  /** Unknown entities: the attach is answered, then detached with amqp:not-found, as Service Bus does. */
  private resolveOrRefuse(link: Sender | Receiver, entity: EntityAddress): QueueStore | undefined {
    try {
      return this.broker.resolve(entity);
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      link.close(error.toAmqpError());
      return undefined;
    }
  }

  private onOutcome(sender: Sender, delivery: Delivery): void {
    if (this.pump.isConsumer(sender)) this.pump.settle(delivery);
  }

  private onMessage(context: EventContext): void {
    const receiver = context.receiver as Receiver;
    const delivery = context.delivery as Delivery;
    const request = context.message as Message;
    const address = receiver.target.address ?? '';
    try {
      if (isCbsAddress(address)) {
        answerRequest(receiver, request, () => this.putToken(request));
      } else {
        const entity = parseEntityAddress(address);
        const store = this.broker.resolve(entity);
        if (entity.management) {
          answerRequest(receiver, request, () => handleManagementRequest(store, request, this.broker.now()));
        } else {
          const now = this.broker.now();
          const messages = delivery.format === batchFormat ? unpackBatch(request) : [request];
          for (const message of messages) store.send(message, now);
          this.pump.request();
        }
      }
      delivery.accept();
    } catch (error) {
      delivery.reject(asBrokerError(error).toAmqpError());
    }
  }

  /** Tokens are not checked; an audience naming an unknown entity fails as Service Bus fails it. */
  private putToken(request: Message): Reply {
    const name: unknown = (request.application_properties as Record<string, unknown> | undefined)?.name;
    this.broker.resolve(parseEntityAddress(typeof name === 'string' ? name : ''));
    return { statusCode: 202 };
  }

  private forgetConnection(connection: Connection): void {
    this.pump.removeConnection(connection);
  }
}

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
