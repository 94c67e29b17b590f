import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';

export type LogSink = (level: string, functionName: string, message: string) => void;

export const printLog: LogSink = (level, functionName, message) => {
  const line = `[${new Date().toISOString()}] ${functionName} ${level}: ${message}`;
  if (level === 'error' || level === 'warning') console.error(line);
  else console.log(line);
};

export function invocationContext(functionName: string, log: LogSink, triggerMetadata?: Record<string, unknown>): InvocationContext {
  return new InvocationContext({
    functionName,
    invocationId: randomUUID(),
    ...(triggerMetadata ? { triggerMetadata } : {}),
    logHandler: (level, ...args) => log(level, functionName, args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')),
  });
}
