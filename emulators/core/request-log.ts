import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock';

/** What every HTTP emulator's `requests()` answers for each call; emulators add their own fields. */
export interface LoggedRequest {
  readonly method: string;
  /** Without the query, e.g. `/fabrikam/_apis/distributedtask/pools`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The status answered. */
  readonly status: number;
  /** When the answer was sent, ISO 8601 on the emulator's clock. */
  readonly time: string;
  /** The request body as sent ('' when none). */
  readonly body: string;
  /** Request headers, names in lower case, credentials replaced (see redactHeaders). */
  readonly headers: Readonly<Record<string, string>>;
  /** Failed on purpose by an injected fault. */
  readonly injected?: boolean;
}

export type LogEntry<Extra extends object = object> = LoggedRequest & Extra;

/** Fields an emulator learns while answering (e.g. ADO's `unbounded`), added to the call's entry. */
export type LateFields<Extra extends object> = Partial<Extra> & { injected?: boolean };

export interface RequestLogOptions {
  readonly now: Clock;
  /** Headers that carry a secret besides Authorization (e.g. the identity endpoint's X-IDENTITY-HEADER). */
  readonly secretHeaders?: readonly string[];
}

/**
 * Every call an emulator answered, for tests and the chaos run's secret search. Only requests
 * are kept (an emulator may add a response field of its own): the chaos run makes tens of
 * thousands of calls, and what a service answers is the emulator's own doing.
 */
export class RequestLog<Extra extends object = object> {
  private entries: Array<LogEntry<Extra>> = [];
  private readonly secretHeaders: ReadonlySet<string>;

  constructor(private readonly options: RequestLogOptions) {
    this.secretHeaders = new Set((options.secretHeaders ?? []).map((h) => h.toLowerCase()));
  }

  /**
   * Logs the call once its answer has gone out (`finish`), so the entry has the status really
   * answered, also when a handler failed half-way. A call that never gets an answer is not logged.
   * Answers a function that adds fields learnt meanwhile.
   */
  track(req: IncomingMessage, res: ServerResponse, url: URL, body: string, extra: Extra): (fields: LateFields<Extra>) => void {
    const late: LateFields<Extra> = {};
    const start = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      headers: redactHeaders(req.headers, this.secretHeaders),
    };
    res.once('finish', () => {
      const time = new Date(this.options.now()).toISOString();
      this.entries.push({ ...start, ...extra, ...late, status: res.statusCode, time });
    });
    return (fields) => Object.assign(late, fields);
  }

  /** A copy, oldest first; `pathContains` keeps the calls whose path contains it (case-insensitive). */
  all(pathContains?: string): Array<LogEntry<Extra>> {
    if (pathContains === undefined) return [...this.entries];
    const part = pathContains.toLowerCase();
    return this.entries.filter((e) => e.path.toLowerCase().includes(part));
  }

  clear(): void {
    this.entries = [];
  }
}

/**
 * Headers as one string each, with credentials replaced by what kind they were: the scheme of
 * Authorization stays (`Bearer <token>`, `Basic <credentials>`) because tests check which kind a
 * client sent, never the value, and the log must not hold a secret the chaos run searches for.
 */
export function redactHeaders(headers: IncomingHttpHeaders, secretHeaders: ReadonlySet<string> = new Set()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'authorization') out[name] = redactAuthorization(text);
    else out[name] = secretHeaders.has(name) ? '<redacted>' : text;
  }
  return out;
}

function redactAuthorization(value: string): string {
  const scheme = /^(\S+)\s+\S/.exec(value)?.[1];
  if (!scheme) return '<redacted>';
  const lower = scheme.toLowerCase();
  return `${scheme} ${lower === 'bearer' ? '<token>' : lower === 'basic' ? '<credentials>' : '<redacted>'}`;
}
