/**
 * An error the broker reports to the client in Service Bus's terms: the AMQP condition the SDK
 * maps to its error codes, and the status code used on request/response links.
 */
export class BrokerError extends Error {
  constructor(
    readonly condition: string,
    readonly statusCode: number,
    description: string,
  ) {
    super(description);
    this.name = 'BrokerError';
  }

  toAmqpError(): { condition: string; description: string } {
    return { condition: this.condition, description: this.message };
  }
}

export function entityNotFound(entityUri: string): BrokerError {
  // The SDK recognises this wording (and the condition) as MessagingEntityNotFound.
  return new BrokerError(
    'amqp:not-found',
    404,
    `The messaging entity '${entityUri}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`,
  );
}

export function lockLost(): BrokerError {
  return new BrokerError(
    'com.microsoft:message-lock-lost',
    410,
    'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
  );
}

export function messageNotFound(what: string): BrokerError {
  return new BrokerError('com.microsoft:message-not-found', 404, `${what} could not be found.`);
}

export function badRequest(description: string): BrokerError {
  return new BrokerError('amqp:invalid-field', 400, description);
}

/** Anything else that went wrong while handling a request, reported rather than crashing the broker. */
export function asBrokerError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  const description = error instanceof Error ? error.message : String(error);
  return new BrokerError('amqp:internal-error', 500, `Service Bus emulator failure: ${description}`);
}
