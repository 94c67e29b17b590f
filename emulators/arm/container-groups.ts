import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock';
import { sampleMs, type Latency } from '../core/latency';
import { createRateExceeded, quotaExceeded, type ArmError, type QuotaName } from './arm-errors';
import { failureEvent, regionOf, type GroupBody, type StoredGroup } from './group-shapes';
import { groupFailure, takeProvisioningFailure, type ProvisioningFailure } from './provisioning-failures';

/** What the emulator hands a starting container: env merges `value` and `secureValue`, as the container sees it. */
export interface StartedContainer {
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** When the group was first created (ISO 8601, ms), the stored group's `createdAt`; a redeploy keeps it. */
  readonly createdAt: string;
}

export interface RunningAgent {
  readonly exited: Promise<number>;
  stop(): void;
}

export type StartAgent = (container: StartedContainer) => RunningAgent | undefined;

export type Quotas = Partial<Record<QuotaName, number>>;

/** At most `count` new container groups within any `windowMs` (ACI: 100 per 5 minutes, 300 per hour). */
export interface CreateRateLimit {
  readonly count: number;
  readonly windowMs: number;
}

export interface StoreOptions {
  /** Pending → Running; drawn anew for each create or redeploy. */
  provisioningDelay: Latency;
  random: () => number;
  now: Clock;
  startAgent?: StartAgent;
  quotas?: Quotas;
  createRateLimit?: CreateRateLimit;
}

interface Entry {
  group: StoredGroup;
  generation: number;
  timer?: NodeJS.Timeout;
  agent?: RunningAgent;
}

/**
 * The container groups of every subscription and resource group, keyed case-insensitively as
 * ARM looks them up. Lifecycle (restartPolicy Never): Pending, then after the provisioning
 * delay Succeeded with the container Running (the agent starts), then Terminated with the
 * agent's exit code.
 */
export class ContainerGroupStore {
  private readonly entries = new Map<string, Entry>();
  private readonly operations = new Map<string, { key: string; generation: number; startTime: string }>();
  private generations = 0;
  /** Clock times of the accepted creates of new groups still inside the rate-limit window, oldest first. */
  private readonly creates: number[] = [];
  private readonly failures: ProvisioningFailure[] = [];

  constructor(private readonly options: StoreOptions) {}

  /** The next matching creates or redeploys are accepted, then fail (see ProvisioningFailure). */
  injectProvisioningFailure(failure: ProvisioningFailure): void {
    this.failures.push({ ...failure });
  }

  clearProvisioningFailures(): void {
    this.failures.splice(0);
  }

  all(): StoredGroup[] {
    return [...this.entries.values()].map((e) => e.group);
  }

  get(sub: string, rg: string, name: string): StoredGroup | undefined {
    return this.entries.get(key(sub, rg, name))?.group;
  }

  inScope(sub: string, rg?: string): StoredGroup[] {
    return this.all()
      .filter((g) => g.subscriptionId.toLowerCase() === sub.toLowerCase() && (rg === undefined || g.resourceGroup.toLowerCase() === rg.toLowerCase()))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  /** Creates or redeploys; returns the operation id to poll, or the create-rate or quota error. */
  put(sub: string, rg: string, name: string, body: GroupBody): { group: StoredGroup; created: boolean; operationId: string } | ArmError {
    const k = key(sub, rg, name);
    const existing = this.entries.get(k);
    if (!existing) {
      const refusal = this.createRateRefusal() ?? this.quotaRefusal(sub, body);
      if (refusal) return refusal;
      if (this.options.createRateLimit) this.creates.push(this.options.now());
    }
    const now = this.now();
    const group: StoredGroup = existing?.group ?? {
      id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerInstance/containerGroups/${name}`,
      subscriptionId: sub,
      resourceGroup: rg,
      name,
      body,
      provisioningState: 'Pending',
      container: { state: 'Waiting' },
      restarts: 0,
      createdAt: now,
    };
    if (existing) {
      this.halt(existing);
      group.restarts += 1;
    }
    Object.assign(group, { body, provisioningState: 'Pending', container: { state: 'Waiting' }, failure: undefined });
    const entry: Entry = { group, generation: ++this.generations };
    this.entries.set(k, entry);
    const failure = takeProvisioningFailure(this.failures, name, body);
    if (!failure) entry.timer = setTimeout(() => this.provision(entry), sampleMs(this.options.provisioningDelay, this.options.random));
    else {
      const generation = entry.generation;
      const fail = () => this.failProvisioning(entry, generation, failure);
      const after = failure.after === undefined ? 0 : sampleMs(failure.after, this.options.random);
      // At once, but after the PUT's answer (built from the group as it is now) and before any poll.
      if (after <= 0) queueMicrotask(fail);
      else entry.timer = setTimeout(fail, after);
    }
    const operationId = randomUUID();
    this.operations.set(operationId, { key: k, generation: entry.generation, startTime: now });
    return { group, created: !existing, operationId };
  }

  delete(sub: string, rg: string, name: string): StoredGroup | undefined {
    const k = key(sub, rg, name);
    const entry = this.entries.get(k);
    if (!entry) return undefined;
    this.halt(entry);
    this.entries.delete(k);
    return entry.group;
  }

  /** The Azure-AsyncOperation status body for a create/update. */
  operation(id: string): Record<string, unknown> | undefined {
    const op = this.operations.get(id);
    if (!op) return undefined;
    const entry = this.entries.get(op.key);
    const base = { id: entry?.group.id, startTime: op.startTime };
    if (!entry || entry.generation !== op.generation) {
      return { ...base, status: 'Canceled', error: { code: 'Canceled', message: 'The container group was deleted or redeployed.' } };
    }
    if (entry.group.provisioningState === 'Pending') return { ...base, status: 'InProgress' };
    const { failure } = entry.group;
    if (entry.group.provisioningState === 'Failed' && failure) {
      // As ACI answers it (Azure/Azure-Landing-Zones#2404): the event, and an error with a message but no code.
      return {
        ...base,
        status: 'Failed',
        properties: { events: [failureEvent(failure)] },
        error: { ...(failure.code ? { code: failure.code } : {}), message: failure.message },
      };
    }
    return { ...base, status: 'Succeeded', properties: { events: [] } };
  }

  /** Makes the group's container exit with `exitCode` (stopping its agent), provisioning it first if needed. */
  finish(name: string, exitCode: number): boolean {
    const entry = [...this.entries.values()].find((e) => e.group.name.toLowerCase() === name.toLowerCase());
    if (!entry) return false;
    if (entry.group.provisioningState === 'Pending') this.provision(entry, false);
    this.terminate(entry, entry.generation, exitCode);
    return true;
  }

  close(): void {
    for (const entry of this.entries.values()) this.halt(entry);
  }

  private failProvisioning(entry: Entry, generation: number, failure: ProvisioningFailure): void {
    // A group deleted or redeployed meanwhile has moved on.
    if (entry.generation !== generation || entry.group.provisioningState !== 'Pending') return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.group.provisioningState = 'Failed';
    entry.group.failure = groupFailure(failure, entry.group.body, this.now());
  }

  private provision(entry: Entry, startAgent = true): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const { group } = entry;
    group.provisioningState = 'Succeeded';
    group.container = { state: 'Running', startTime: this.now() };
    if (!startAgent || !this.options.startAgent) return;
    const generation = entry.generation;
    try {
      entry.agent = this.options.startAgent(startedContainer(group));
    } catch {
      this.terminate(entry, generation, 1);
      return;
    }
    entry.agent?.exited.then(
      (code) => this.terminate(entry, generation, code),
      () => this.terminate(entry, generation, 1),
    );
  }

  private terminate(entry: Entry, generation: number, exitCode: number): void {
    // A late exit from an agent of a deleted or redeployed group changes nothing.
    if (entry.generation !== generation || entry.group.container.state === 'Terminated') return;
    if (this.entries.get(key(entry.group.subscriptionId, entry.group.resourceGroup, entry.group.name)) !== entry) return;
    entry.agent?.stop();
    entry.agent = undefined;
    entry.group.container = { ...entry.group.container, state: 'Terminated', exitCode, finishTime: this.now() };
  }

  private halt(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.generation = ++this.generations;
    entry.agent?.stop();
    entry.agent = undefined;
  }

  /** A create beyond the limit within the sliding window; refused creates do not count. */
  private createRateRefusal(): ArmError | undefined {
    const limit = this.options.createRateLimit;
    if (!limit) return undefined;
    const now = this.options.now();
    while (this.creates.length > 0 && this.creates[0]! <= now - limit.windowMs) this.creates.shift();
    if (this.creates.length < limit.count) return undefined;
    // A slot frees when the oldest of the last `count` creates leaves the window.
    const oldest = this.creates[this.creates.length - limit.count] ?? now;
    const retryAfterSeconds = Math.max(1, Math.ceil((oldest + limit.windowMs - now) / 1000));
    return createRateExceeded(limit.count, limit.windowMs, retryAfterSeconds);
  }

  private quotaRefusal(sub: string, body: GroupBody): ArmError | undefined {
    const quotas = this.options.quotas ?? {};
    const region = regionOf(body.location);
    const sameRegion = this.inScope(sub).filter((g) => regionOf(g.body.location) === region);
    const cores = (g: GroupBody) => g.properties.containers.reduce((sum, c) => sum + c.properties.resources.requests.cpu, 0);
    const spot = (g: GroupBody) => g.properties.priority?.toLowerCase() === 'spot';
    const requested = cores(body);
    const limit = quotas.ContainerGroups;
    if (limit !== undefined && sameRegion.length + 1 > limit) return quotaExceeded('ContainerGroups', region, limit, sameRegion.length, 1);
    // Cores are held while a group runs; a terminated restartPolicy Never group holds none, nor one that never got a host.
    const holding = sameRegion.filter((g) => g.container.state !== 'Terminated' && g.provisioningState !== 'Failed' && spot(g.body) === spot(body));
    const quota: QuotaName = spot(body) ? 'StandardSpotCores' : 'StandardCores';
    const coreLimit = quotas[quota];
    const usage = holding.reduce((sum, g) => sum + cores(g.body), 0);
    if (coreLimit !== undefined && usage + requested > coreLimit) return quotaExceeded(quota, region, coreLimit, usage, requested);
    return undefined;
  }

  private now(): string {
    return new Date(this.options.now()).toISOString();
  }
}

function key(sub: string, rg: string, name: string): string {
  return `${sub}/${rg}/${name}`.toLowerCase();
}

function startedContainer(group: StoredGroup): StartedContainer {
  const container = group.body.properties.containers[0];
  const env = Object.fromEntries((container?.properties.environmentVariables ?? []).map((e) => [e.name, e.secureValue ?? e.value ?? '']));
  return {
    name: group.name,
    subscriptionId: group.subscriptionId,
    resourceGroup: group.resourceGroup,
    image: container?.properties.image ?? '',
    env,
    tags: { ...(group.body.tags ?? {}) },
    createdAt: group.createdAt,
  };
}
