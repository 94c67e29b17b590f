import { randomUUID } from 'node:crypto';
import { AgentConnection, type AssignedRequest } from './agent-connection';
import { describeError, sleep, StoppedError } from './agent-http';
import { systemCapabilities } from './capabilities';
import { SelfUpdate } from './self-update';
import { sampleMs, type Latency } from '../core/latency';

/** The job request the agent was given, for a duration chosen per job. */
export interface JobDurationRequest {
  readonly requestId: number;
  readonly jobId: string;
}

export interface SimulatedAgentOptions {
  /** The container's environment as the launcher set it: AZP_URL (org URL), AZP_POOL (pool name), AZP_AGENT_NAME, AZP_TOKEN (the PAT), plus any other variables, which a real agent reports as capabilities. */
  readonly env: Readonly<Record<string, string>>;
  /** The agent version the image runs (reported as `version`); default '4.255.0'. */
  readonly agentVersion?: string;
  /**
   * How long the container spends before the agent is registered (image start and `config.sh`),
   * drawn once per agent; default 0.
   */
  readonly registrationDelay?: Latency;
  /**
   * How long "running the job" takes: a latency drawn per job, or a function giving each job
   * request its own duration in ms; default 2000 ms.
   */
  readonly jobDuration?: Latency | ((request: JobDurationRequest) => number);
  /** The generator for latency draws (uniform on [0, 1)); Math.random by default. */
  readonly random?: () => number;
  /** Poll interval for its assignment; default 50 ms. */
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

export type SimulatedAgentPhase = 'registering' | 'idle' | 'busy' | 'exited';

/** When things happened to the agent process, epoch ms (Date.now()), each set as it happens. */
export interface AgentTimeline {
  /** The process (container) started. */
  readonly startedAt: number;
  /** Registered in the pool (config.sh done). */
  readonly registeredAt?: number;
  /** ADO's assignment seen: its (first) job started running on it. */
  readonly jobStartedAt?: number;
  readonly requestId?: number;
  readonly exitedAt?: number;
  readonly exitCode?: number;
}

export interface SimulatedAgent {
  /**
   * Resolves with the process exit code: 0 after finishing its job (two, when an update ADO asked
   * for brought it back; see self-update.ts); 1 when it cannot register (bad/revoked PAT, unknown
   * pool); 4 when a second update ends it; 143 when stopped.
   */
  readonly exited: Promise<number>;
  /** SIGTERM: stop waiting / abandon and exit 143. */
  stop(): void;
  readonly phase: SimulatedAgentPhase;
  /** A snapshot of what has happened so far. */
  readonly timeline: AgentTimeline;
}

/** Exit codes as the container would report them. */
export const EXIT_DONE = 0;
export const EXIT_FAILED = 1;
/** The listener's RunOnceAgentUpdating, passed on by run.sh when it has restarted the agent once already. */
export const EXIT_UPDATING = 4;
export const EXIT_TERMINATED = 143;

/**
 * A one-shot agent container (`config.sh`, then `run.sh --once`) over the ADO emulator's REST API:
 * register in the pool by name, wait for ADO to assign a job, run it, report it finished, remove
 * the registration and exit 0. stop() is the container being killed: no goodbye, so the
 * registration stays (offline) for the scaler's janitor, and a job it ran is abandoned. An update
 * ADO asks for is taken unless the environment has `agent.disableupdate` (self-update.ts).
 */
export function startSimulatedAgent(options: SimulatedAgentOptions): SimulatedAgent {
  return new AgentProcess(options);
}

class AgentProcess implements SimulatedAgent {
  readonly exited: Promise<number>;
  phase: SimulatedAgentPhase = 'registering';
  private readonly abort = new AbortController();
  private readonly name: string;
  private readonly log: (line: string) => void;
  private readonly times: { -readonly [K in keyof AgentTimeline]: AgentTimeline[K] } = { startedAt: Date.now() };
  private readonly update: SelfUpdate;

  constructor(private readonly options: SimulatedAgentOptions) {
    this.name = options.env.AZP_AGENT_NAME || `simulated-${randomUUID().slice(0, 8)}`;
    const log = options.log ?? (() => undefined);
    this.log = (line) => log(`[${this.name}] ${line}`);
    this.update = new SelfUpdate(options.env, this.log);
    this.exited = this.run()
      .catch((err: unknown) => {
        this.log(`failed: ${describeError(err)}`);
        return EXIT_FAILED;
      })
      .then((code) => {
        this.times.exitedAt = Date.now();
        this.times.exitCode = code;
        this.phase = 'exited';
        this.log(`exited with code ${code}`);
        return code;
      });
  }

  get timeline(): AgentTimeline {
    return { ...this.times };
  }

  stop(): void {
    if (this.phase === 'exited' || this.abort.signal.aborted) return;
    this.log('SIGTERM');
    this.abort.abort();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<number> {
    const { AZP_URL: url, AZP_TOKEN: token, AZP_POOL: pool = 'Default' } = this.options.env;
    if (!url || !token) {
      // What Microsoft's start.sh says before `exit 1`.
      this.log('error: missing AZP_URL or AZP_TOKEN environment variable');
      return EXIT_FAILED;
    }
    const version = this.options.agentVersion ?? '4.255.0';
    const ado = new AgentConnection(url.replace(/\/+$/, ''), token, this.name, this.abort.signal, this.log);
    let poolId: number;
    let agentId: number;
    try {
      const delay = sampleMs(this.options.registrationDelay ?? 0, this.options.random);
      if (delay > 0) await sleep(delay, this.abort.signal);
      poolId = await ado.poolId(pool);
      agentId = await ado.register(poolId, { name: this.name, version, systemCapabilities: systemCapabilities(this.options.env, this.name, version) });
      this.times.registeredAt = Date.now();
      this.log(`registered as agent ${agentId} in pool "${pool}" (${poolId})`);
    } catch (err) {
      if (this.stopped) return EXIT_TERMINATED;
      this.log(`cannot register: ${describeError(err)}`);
      return EXIT_FAILED;
    }
    try {
      for (;;) {
        if (this.stopped) throw new StoppedError();
        this.phase = 'idle';
        const next = await this.assignment(ado, poolId, agentId);
        if (next === 'gone') {
          this.log('its registration was removed while it waited');
          return EXIT_FAILED;
        }
        if (next !== 'update') {
          this.phase = 'busy';
          this.times.jobStartedAt ??= Date.now();
          this.times.requestId ??= next.requestId;
          this.log(`running job request ${next.requestId} (job ${next.jobId})`);
          const completed = (await this.runJob(ado, poolId, agentId, next)) && (await ado.finish(next.requestId));
          this.log(completed ? `job request ${next.requestId} succeeded` : `job request ${next.requestId} ended elsewhere (cancelled)`);
          if (!this.update.pending) break; // --once: one job, and out
        }
        const updated = this.update.restart();
        if (updated === undefined) {
          this.log('exits for an update again; run.sh restarts it only once');
          await ado.deregister(poolId, agentId);
          return EXIT_UPDATING;
        }
        this.log(`Agent will exit shortly for update; back online as version ${updated}`);
        await ado.reconnect(poolId, agentId, {
          name: this.name,
          version: updated,
          systemCapabilities: systemCapabilities(this.options.env, this.name, updated),
        });
      }
    } catch (err) {
      if (!this.stopped) throw err;
      await ado.disconnect(agentId);
      return EXIT_TERMINATED;
    }
    await ado.deregister(poolId, agentId);
    return this.stopped ? EXIT_TERMINATED : EXIT_DONE;
  }

  /** Polls until ADO assigns a job or asks for an update the agent takes; 'gone' when the registration disappears. */
  private async assignment(ado: AgentConnection, poolId: number, agentId: number): Promise<AssignedRequest | 'update' | 'gone'> {
    for (;;) {
      const look = await ado.look(poolId, agentId);
      if (look.kind === 'assigned') return look.request;
      if (look.kind === 'gone') return 'gone';
      if (look.kind === 'none' && look.updateTo !== undefined && this.update.take(look.updateTo)) return 'update';
      await sleep(this.options.pollMs ?? 50, this.abort.signal);
    }
  }

  /** "Runs" the job for its duration; false when the request ended elsewhere (cancelled) first. */
  private async runJob(ado: AgentConnection, poolId: number, agentId: number, request: AssignedRequest): Promise<boolean> {
    const until = Date.now() + this.jobDurationMs(request);
    while (Date.now() < until) {
      await sleep(Math.min(this.options.pollMs ?? 50, until - Date.now()), this.abort.signal);
      const look = await ado.look(poolId, agentId);
      if ((look.kind === 'assigned' || look.kind === 'none') && look.updateTo !== undefined) this.update.take(look.updateTo);
      if (look.kind === 'none' || (look.kind === 'assigned' && look.request.requestId !== request.requestId)) return false;
    }
    return true;
  }

  private jobDurationMs(request: AssignedRequest): number {
    const duration = this.options.jobDuration ?? 2000;
    if (typeof duration === 'function') return Math.max(0, duration({ requestId: request.requestId, jobId: request.jobId }));
    return sampleMs(duration, this.options.random);
  }
}
