import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobLifecycle } from './jobs';
import type { EmulatorState, OrgRecord } from './state';

/** One authenticated REST call under `/{org}/_apis/`, as the route handlers see it. */
export interface RestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** Decoded path segments after `_apis`, e.g. `['distributedtask', 'pools', '10', 'agents']`. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  /** The request body as text, read before routing so the request log has it. */
  readonly body: string;
  readonly org: OrgRecord;
  readonly orgUrl: string;
  readonly state: EmulatorState;
  readonly jobs: JobLifecycle;
  /** Adds facts to this call's request log entry. */
  note(fields: { readonly unbounded?: boolean }): void;
}

/** Answers the call and returns true, or returns false when the path is not its own. */
export type RestRoute = (ctx: RestContext) => boolean | Promise<boolean>;

/** Route segments compare case-insensitively, as ADO's routing does. */
export function pathIs(segments: readonly string[], ...pattern: ReadonlyArray<string | null>): boolean {
  return segments.length === pattern.length && pattern.every((p, i) => p === null || p.toLowerCase() === segments[i]?.toLowerCase());
}

/** A positive integer route value, or undefined. */
export function intSegment(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
