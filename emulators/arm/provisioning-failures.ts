import type { Latency } from '../core/latency';
import { capacityMessage, type CapacityWording } from './arm-errors';
import { regionOf, type GroupBody, type GroupFailure } from './group-shapes';

/**
 * A create ACI accepts and fails afterwards: the PUT answers 201 (Pending) with its
 * Azure-AsyncOperation, then the operation ends `Failed` and the group stays behind with
 * provisioningState `Failed` (what ACI does when it finds no capacity while placing the group).
 */
export interface ProvisioningFailure {
  /** Creates or redeploys it fails, the next ones that match. */
  count: number;
  /** Only groups whose name contains this (case-insensitive). */
  nameContains?: string;
  /** Only groups of this priority ('Regular' matches a group without one). */
  priority?: 'Spot' | 'Regular';
  /** From the PUT to the failure; 0 (the default) fails it before the client's first poll. */
  after?: Latency;
  /** The failure's text; by default ACI's capacity message for the group's region and size. */
  message?: string;
  /** Which capacity wording the default message takes. */
  wording?: CapacityWording;
  /** `error.code` of the operation; ACI sends none for a capacity failure (see README), so none by default. */
  code?: string;
  /** The warning event's name; ACI's is "InsufficientCapacity." (with the dot). */
  eventName?: string;
}

export const CAPACITY_EVENT = 'InsufficientCapacity.';

/** Takes one use of the first rule that matches the create, if any. */
export function takeProvisioningFailure(rules: ProvisioningFailure[], name: string, body: GroupBody): ProvisioningFailure | undefined {
  const priority = body.properties.priority?.toLowerCase() === 'spot' ? 'Spot' : 'Regular';
  const i = rules.findIndex(
    (r) => r.count > 0 && (!r.nameContains || name.toLowerCase().includes(r.nameContains.toLowerCase())) && (!r.priority || r.priority === priority),
  );
  const rule = rules[i];
  if (!rule) return undefined;
  rule.count -= 1;
  if (rule.count <= 0) rules.splice(i, 1);
  return rule;
}

export function groupFailure(rule: ProvisioningFailure, body: GroupBody, at: string): GroupFailure {
  const cpu = body.properties.containers.reduce((sum, c) => sum + c.properties.resources.requests.cpu, 0);
  const memory = body.properties.containers.reduce((sum, c) => sum + c.properties.resources.requests.memoryInGB, 0);
  return {
    eventName: rule.eventName ?? CAPACITY_EVENT,
    message: rule.message ?? capacityMessage(regionOf(body.location), cpu, memory, rule.wording),
    ...(rule.code ? { code: rule.code } : {}),
    at,
  };
}
