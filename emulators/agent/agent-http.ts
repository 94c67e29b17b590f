/** Plain `fetch` with a deadline, as the simulated agent talks to ADO; never throws on an HTTP status. */

export interface HttpAnswer {
  readonly status: number;
  readonly json: unknown;
}

export class StoppedError extends Error {
  constructor() {
    super('the agent was stopped');
  }
}

const CALL_TIMEOUT_MS = 10_000;

/**
 * How the simulated agent names itself in `User-Agent`. The real agent sends
 * `VstsAgentCore-{package}/{version} ({OS description})` followed by the VSS client's own
 * products (microsoft/azure-pipelines-agent, `ApiUtil.InitializeVssClientSettings`); the package
 * of the Linux agent image is `linux-x64`. A request log entry whose `userAgent` starts with this
 * came from a simulated agent.
 */
export const SIMULATED_AGENT_USER_AGENT = 'VstsAgentCore-linux-x64';
/** The agent version in `User-Agent`: the simulated agent's default registration version. */
const AGENT_VERSION = '4.255.0';
export const SIMULATED_AGENT_USER_AGENT_HEADER = `${SIMULATED_AGENT_USER_AGENT}/${AGENT_VERSION} (simulated)`;

export async function call(
  method: string,
  url: string,
  options: { readonly authorization?: string; readonly body?: unknown; readonly signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
  const response = await fetch(url, {
    method,
    headers: {
      'User-Agent': SIMULATED_AGENT_USER_AGENT_HEADER,
      Accept: 'application/json',
      ...(options.authorization ? { Authorization: options.authorization } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

/** Waits, or rejects with StoppedError as soon as the signal fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new StoppedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StoppedError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
