import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';
import { FaultInjector, InvalidFaultError } from '../core/faults';
import { RequestLog } from '../core/request-log';
import { EmulatorError } from './emulator-error';
import type { JobRecord, OrgRecord, PoolRecord, ProjectRecord } from './records';
import type { AdoRequestFields, DeliveryLogEntry, FaultInput, OrganizationInput } from './types';

export type { AgentRecord, JobRecord, OrgRecord, PoolRecord, ProjectRecord, SubscriptionRecord, SubscriptionStatus } from './records';

/** Everything the emulator knows, in memory; HTTP and hook delivery live elsewhere. */
export class EmulatorState {
  readonly orgs = new Map<string, OrgRecord>();
  readonly jobs = new Map<number, JobRecord>();
  readonly pats = new Set<string>();
  /** PATs limited to these scopes; a PAT not listed here has full access. */
  readonly patScopes = new Map<string, readonly string[]>();
  readonly bearerTokens = new Set<string>();
  /** Entra tokens issued elsewhere (the identity emulator) are checked by asking their issuer. */
  acceptBearer: ((token: string) => boolean) | undefined;
  readonly requestLog: RequestLog<AdoRequestFields>;
  readonly deliveryLog: DeliveryLogEntry[] = [];
  /** Off: jobs leave "waiting" only through the admin assign, so a test can hold them there. */
  schedulingEnabled = true;
  readonly faults = new FaultInjector();
  // Global rather than per organization, so `/_admin/jobs/{requestId}` needs no org.
  private nextRequestId = 1000;
  private nextBuildId = 500;
  private readonly definitions = new Map<string, number>();

  constructor(readonly now: Clock) {
    this.requestLog = new RequestLog({ now });
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  addOrganization(input: OrganizationInput): OrgRecord {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(input.name)) {
      throw new EmulatorError(400, `Organization name "${input.name}" is not valid: use letters, digits and hyphens`);
    }
    let org = this.findOrg(input.name);
    if (!org) {
      org = {
        name: input.name,
        accountId: randomUUID(),
        collectionId: randomUUID(),
        projects: [],
        pools: new Map(),
        subscriptions: new Map(),
        // ADO's own pools (Default, Azure Pipelines) take the low ids in a real organization.
        nextPoolId: 10,
        nextAgentId: 1,
        nextNotificationId: 1,
      };
      this.orgs.set(input.name.toLowerCase(), org);
    }
    const projects = input.projects ?? (org.projects.length === 0 ? ['project'] : []);
    for (const name of projects) {
      if (!org.projects.some((p) => p.name.toLowerCase() === name.toLowerCase())) org.projects.push({ id: randomUUID(), name });
    }
    // Duplicate names are kept on purpose: `pools?poolName=` answering several is a case to test.
    for (const name of input.pools) {
      const id = org.nextPoolId++;
      org.pools.set(id, { id, name, scope: randomUUID(), createdOn: this.iso(), agents: new Map() });
    }
    return org;
  }

  findOrg(name: string): OrgRecord | undefined {
    return this.orgs.get(name.toLowerCase());
  }

  org(name?: string): OrgRecord {
    const org = name === undefined ? this.orgs.values().next().value : this.findOrg(name);
    if (!org) throw new EmulatorError(404, `Organization "${name ?? '(default)'}" does not exist in the emulator`);
    return org;
  }

  poolByName(org: OrgRecord, name: string): PoolRecord {
    const pool = [...org.pools.values()].find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (!pool) throw new EmulatorError(404, `Pool "${name}" does not exist in organization "${org.name}"`);
    return pool;
  }

  project(org: OrgRecord, name?: string): ProjectRecord {
    const project = name === undefined ? org.projects[0] : org.projects.find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (!project) throw new EmulatorError(404, `Project "${name ?? '(default)'}" does not exist in organization "${org.name}"`);
    return project;
  }

  job(requestId: number): JobRecord {
    const job = this.jobs.get(requestId);
    if (!job) throw new EmulatorError(404, `Job request ${requestId} does not exist`);
    return job;
  }

  newRequestId(): number {
    return this.nextRequestId++;
  }

  /** One definition per pipeline name, so the pipelineId filter can tell pipelines apart. */
  definitionId(pipelineName: string): number {
    let id = this.definitions.get(pipelineName);
    if (id === undefined) {
      id = this.definitions.size + 1;
      this.definitions.set(pipelineName, id);
    }
    return id;
  }

  newBuildId(): number {
    return this.nextBuildId++;
  }

  /** As the core validates it, refused with 400 like every admin input. */
  addFault(fault: FaultInput): void {
    try {
      this.faults.add(fault);
    } catch (err) {
      if (err instanceof InvalidFaultError) throw new EmulatorError(400, err.message);
      throw err;
    }
  }
}
