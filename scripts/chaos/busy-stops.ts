import type { JobView, RequestLogEntry } from '../../emulators/ado/ado-emulator';
import { SIMULATED_AGENT_USER_AGENT } from '../../emulators/agent/agent-http';
import { OBSERVER_USER_AGENT } from './agent-observer';

export interface BusyStops {
  /** Jobs ADO ended `abandoned`: their agent's container was stopped while ADO had the job assigned to it. */
  readonly abandonedJobs: readonly number[];
  /** The scaler deleted an agent's registration while ADO had a job assigned to it: `agent name (request id)`. */
  readonly busyRegistrationsDeleted: readonly string[];
  /** Registrations the scaler deleted, and of those, ids the observer never saw named (not judged). */
  readonly registrationsDeleted: number;
  readonly unknownDeleted: number;
}

const AGENT_PATH = /\/distributedtask\/pools\/\d+\/agents\/(\d+)$/;

/**
 * Busy agents stopped, both ways: a container stopped under a running job (ADO abandons the
 * job), and a registration deleted by the scaler (not by the agent itself) at a moment when a job
 * of that agent had been assigned and had not finished.
 */
export function busyStops(jobs: readonly JobView[], requests: readonly RequestLogEntry[], names: ReadonlyMap<number, string>): BusyStops {
  const byAgent = new Map<string, JobView[]>();
  for (const j of jobs) if (j.agentName) byAgent.set(j.agentName, [...(byAgent.get(j.agentName) ?? []), j]);
  const busyDeletes: string[] = [];
  let deleted = 0;
  let unknown = 0;
  for (const r of requests) {
    const id = r.method === 'DELETE' && r.status < 300 ? AGENT_PATH.exec(r.path)?.[1] : undefined;
    if (id === undefined || r.userAgent?.startsWith(SIMULATED_AGENT_USER_AGENT) || r.userAgent === OBSERVER_USER_AGENT) continue;
    deleted++;
    const name = names.get(Number(id));
    if (name === undefined) {
      unknown++;
      continue;
    }
    const at = Date.parse(r.time);
    const running = (byAgent.get(name) ?? []).find(
      (j) => j.assignTime !== undefined && Date.parse(j.assignTime) <= at && (j.finishTime === undefined || Date.parse(j.finishTime) > at),
    );
    if (running) busyDeletes.push(`${name} (job request ${running.requestId})`);
  }
  return {
    abandonedJobs: jobs.filter((j) => j.result === 'abandoned').map((j) => j.requestId),
    busyRegistrationsDeleted: busyDeletes,
    registrationsDeleted: deleted,
    unknownDeleted: unknown,
  };
}
