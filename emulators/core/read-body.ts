import type { IncomingMessage } from 'node:http';

/** A body over the emulator's limit; `status` lets the emulator answer 413 in its own shape. */
export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(readonly limit: number) {
    super(`Request body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * A request body as UTF-8 text. Past `limit` bytes it rejects with BodyTooLargeError at once and
 * drops the rest unread, so memory stays bounded and the emulator can still answer.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      chunks.length = 0;
      req.resume(); // discard the rest, or the socket stalls with a full buffer
      reject(new BodyTooLargeError(limit));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
