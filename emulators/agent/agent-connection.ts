import { call, describeError, StoppedError } from './agent-http';

export interface AssignedRequest {
  readonly requestId: number;
  readonly jobId: string;
}

/**
 * What the agent learns from one look at its registration: its job, and `updateTo`, the version
 * of an update ADO asks for (a real agent gets that as a message on its session).
 */
export type Look =
  | { readonly kind: 'assigned'; readonly request: AssignedRequest; readonly updateTo?: string }
  | { readonly kind: 'none'; readonly updateTo?: string }
  | { readonly kind: 'gone' | 'unknown' };

export interface Registration {
  readonly name: string;
  readonly version: string;
  readonly systemCapabilities: Readonly<Record<string, string>>;
}

/**
 * The agent's side of the ADO conversation: the PAT for configuration (pool lookup, register,
 * remove) as `config.sh` uses it, REST polls for its assignment, and the emulator's admin API
 * for what a real agent says over its session, which the emulator does not model.
 */
export class AgentConnection {
  private readonly authorization: string;
  private readonly origin: string;
  private readonly orgName: string;
  private patRevokedNoted = false;

  constructor(
    private readonly orgUrl: string,
    token: string,
    private readonly agentName: string,
    private readonly signal: AbortSignal,
    private readonly log: (line: string) => void,
  ) {
    // Basic with an empty user name and the PAT as password, as ADO accepts; kept out of every log line.
    this.authorization = `Basic ${Buffer.from(`:${token}`).toString('base64')}`;
    const url = new URL(orgUrl);
    this.origin = url.origin;
    this.orgName = url.pathname.split('/').filter(Boolean).pop() ?? '';
  }

  async poolId(pool: string): Promise<number> {
    const url = `${this.orgUrl}/_apis/distributedtask/pools?poolName=${encodeURIComponent(pool)}`;
    const answer = await call('GET', url, { authorization: this.authorization, signal: this.signal });
    if (answer.status !== 200) throw new Error(`looking up pool "${pool}" answered HTTP ${answer.status}`);
    const [found] = (answer.json as { value?: Array<{ id: number }> }).value ?? [];
    if (!found) throw new Error(`no agent pool named "${pool}" in ${this.orgUrl}`);
    return found.id;
  }

  /** Registers online; on 409 takes over the registration of its name, as `config.sh --replace` does for a restarted container. */
  async register(poolId: number, agent: Registration): Promise<number> {
    const agentsUrl = `${this.orgUrl}/_apis/distributedtask/pools/${poolId}/agents`;
    const body = registrationBody(agent);
    const auth = { authorization: this.authorization };
    // Not abortable: a registration ADO made must be known here, or jobs would go to a dead agent.
    let answer = await call('POST', agentsUrl, { ...auth, body });
    if (answer.status === 409) {
      const found = await call('GET', `${agentsUrl}?agentName=${encodeURIComponent(agent.name)}`, auth);
      const [existing] = (found.json as { value?: Array<{ id: number }> } | undefined)?.value ?? [];
      if (!existing) throw new Error(`agent name "${agent.name}" is taken but the agent cannot be found (HTTP ${found.status})`);
      answer = await call('PUT', `${agentsUrl}/${existing.id}`, { ...auth, body: { ...body, id: existing.id } });
    }
    if (answer.status !== 200) throw new Error(`registering in pool ${poolId} answered HTTP ${answer.status}`);
    return (answer.json as { id: number }).id;
  }

  async look(poolId: number, agentId: number): Promise<Look> {
    try {
      const url = `${this.orgUrl}/_apis/distributedtask/pools/${poolId}/agents/${agentId}?includeAssignedRequest=true`;
      const answer = await call('GET', url, { authorization: this.authorization, signal: this.signal });
      if (answer.status === 404) return { kind: 'gone' };
      if (answer.status === 401) return await this.lookOverSession(poolId);
      if (answer.status !== 200) return { kind: 'unknown' };
      const { assignedRequest: assigned, pendingUpdate } = answer.json as {
        assignedRequest?: AssignedRequest;
        pendingUpdate?: { targetVersion?: PackageVersion };
      };
      const target = pendingUpdate?.targetVersion;
      const update = target ? { updateTo: `${target.major}.${target.minor}.${target.patch}` } : {};
      return assigned ? { kind: 'assigned', request: { requestId: assigned.requestId, jobId: assigned.jobId }, ...update } : { kind: 'none', ...update };
    } catch (err) {
      if (this.signal.aborted) throw new StoppedError();
      this.log(`polling failed, retrying: ${describeError(err)}`);
      return { kind: 'unknown' };
    }
  }

  /**
   * A configured agent talks to ADO with its own key, not the PAT, so a revoked PAT does not
   * stop it; the admin job list stands in for what its session would say.
   */
  private async lookOverSession(poolId: number): Promise<Look> {
    if (!this.patRevokedNoted) this.log('the PAT is no longer accepted; carrying on over its session, as a configured agent does');
    this.patRevokedNoted = true;
    const answer = await call('GET', `${this.origin}/_admin/jobs`, { signal: this.signal });
    type AdminJob = AssignedRequest & { org: string; poolId: number; state: string; agentName?: string };
    const jobs = (answer.json as { value?: AdminJob[] } | undefined)?.value ?? [];
    const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();
    const mine = jobs.find((j) => j.state === 'running' && j.poolId === poolId && same(j.org, this.orgName) && same(j.agentName, this.agentName));
    return mine ? { kind: 'assigned', request: { requestId: mine.requestId, jobId: mine.jobId } } : { kind: 'none' };
  }

  /**
   * The updated agent back online with its new version. A real one says so when its new listener
   * opens a session; here its registration is replaced with the PAT, as `register` does.
   */
  async reconnect(poolId: number, agentId: number, agent: Registration): Promise<void> {
    const url = `${this.orgUrl}/_apis/distributedtask/pools/${poolId}/agents/${agentId}`;
    const answer = await call('PUT', url, { authorization: this.authorization, body: { ...registrationBody(agent), id: agentId } });
    if (answer.status !== 200) throw new Error(`coming back as version ${agent.version} answered HTTP ${answer.status}`);
  }

  /** Reports the result; false when the request had already ended (cancelled meanwhile). */
  async finish(requestId: number): Promise<boolean> {
    const answer = await call('POST', `${this.origin}/_admin/jobs/${requestId}/finish`, { body: { result: 'succeeded' } });
    if (answer.status === 200) return true;
    if (answer.status !== 409) throw new Error(`reporting job request ${requestId} finished answered HTTP ${answer.status}`);
    return false;
  }

  /** `config.sh remove` on the way out; a failure (a revoked PAT) is logged and left to the janitor. */
  async deregister(poolId: number, agentId: number): Promise<void> {
    try {
      const answer = await call('DELETE', `${this.orgUrl}/_apis/distributedtask/pools/${poolId}/agents/${agentId}`, { authorization: this.authorization });
      if (answer.status === 204 || answer.status === 200) this.log('removed its registration');
      else this.log(`could not remove its registration (HTTP ${answer.status}); left to the scaler's janitor`);
    } catch (err) {
      this.log(`could not remove its registration (${describeError(err)}); left to the scaler's janitor`);
    }
  }

  /** Killed: ADO notices the session is gone, shows the agent offline and abandons its job. */
  async disconnect(agentId: number): Promise<void> {
    try {
      const answer = await call('POST', `${this.origin}/_admin/agents/${agentId}/disconnect`, { body: { org: this.orgName } });
      if (answer.status !== 200) this.log(`marking itself gone answered HTTP ${answer.status}`);
    } catch (err) {
      this.log(`could not mark itself gone: ${describeError(err)}`);
    }
  }
}

interface PackageVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

function registrationBody(agent: Registration): Record<string, unknown> {
  return { ...agent, osDescription: 'Linux (simulated agent)', status: 'online', enabled: true, maxParallelism: 1, userCapabilities: {} };
}
