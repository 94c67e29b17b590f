/** The User-Agent of the observer's own calls, so they are told apart from the scaler's in ADO's request log. */
export const OBSERVER_USER_AGENT = 'ado-agent-scaler-chaos-observer/1.0';

export interface AgentObserver {
  /** Agent id → name for every registration seen in the pool, including those deleted since. */
  readonly names: ReadonlyMap<number, string>;
  /** Each registration as ADO listed it when first seen, capabilities included (where a PAT must never show). */
  readonly registrations: ReadonlyMap<number, string>;
  readonly failedPolls: () => number;
  stop(): Promise<void>;
}

/**
 * Lists the pool's agent registrations every `intervalMs` through ADO's REST API to learn which name each agent id had: ADO's request log names a deleted agent by
 * id only, and a registration is gone once deleted.
 */
export function observeAgents(poolUrl: string, pat: string, intervalMs = 1_000): AgentObserver {
  const names = new Map<number, string>();
  const registrations = new Map<number, string>();
  let failed = 0;
  let stopped = false;
  const poll = async () => {
    const auth = Buffer.from(`:${pat}`).toString('base64');
    const response = await fetch(`${poolUrl}/agents?includeCapabilities=true&api-version=7.1`, {
      headers: { authorization: `Basic ${auth}`, 'user-agent': OBSERVER_USER_AGENT },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = (await response.json()) as { value?: Array<{ id: number; name: string }> };
    for (const a of body.value ?? []) {
      names.set(a.id, a.name);
      if (!registrations.has(a.id)) registrations.set(a.id, JSON.stringify(a));
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await poll().catch(() => {
        failed++;
      });
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    names,
    registrations,
    failedPolls: () => failed,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
