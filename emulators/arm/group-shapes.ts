import { CONTAINER_GROUP_TYPE, invalidContent, invalidName, invalidTagNameCharacters, type ArmError } from './arm-errors';

// Container group bodies on the wire (api-version 2023-05-01): camelCase, `properties` nested
// twice, `memoryInGB`. Shapes follow test/fixtures/aci (ContainerGroups*.json and
// the azure-cli recordings).

export interface EnvVar {
  name: string;
  value?: string;
  secureValue?: string;
}

export interface ContainerBody {
  name: string;
  properties: {
    image: string;
    environmentVariables?: EnvVar[];
    resources: { requests: { cpu: number; memoryInGB: number } };
    [key: string]: unknown;
  };
}

export interface GroupBody {
  location: string;
  tags?: Record<string, string> | null;
  identity?: { type: string; userAssignedIdentities?: Record<string, object> };
  zones?: string[];
  properties: {
    containers: ContainerBody[];
    osType: string;
    restartPolicy?: string;
    priority?: string;
    subnetIds?: Array<{ id: string }>;
    imageRegistryCredentials?: Array<{ server: string; username?: string; password?: string; identity?: string }>;
    [key: string]: unknown;
  };
}

export type ContainerState = 'Waiting' | 'Running' | 'Terminated';

/** How a group's provisioning failed, as its instanceView events and the create operation report it. */
export interface GroupFailure {
  readonly eventName: string;
  readonly message: string;
  readonly code?: string;
  /** ISO 8601. */
  readonly at: string;
}

/** One container group as the emulator keeps it: the PUT body as sent (secureValues included) and its state. */
export interface StoredGroup {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  body: GroupBody;
  provisioningState: 'Pending' | 'Succeeded' | 'Failed';
  container: { state: ContainerState; startTime?: string; finishTime?: string; exitCode?: number };
  /** Times a PUT redeployed the existing group (ACI restarts its containers on update). */
  restarts: number;
  createdAt: string;
  /** Set when the last create or redeploy failed after ARM accepted it (provisioningState Failed). */
  failure?: GroupFailure;
}

const NAME = /^(?!.*--)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The PUT body, or the error ACI gives for what the scaler could get wrong. */
export function parseGroupBody(name: string, raw: unknown): GroupBody | ArmError {
  if (!NAME.test(name)) return invalidName(name);
  if (!isObject(raw)) return invalidContent('The request body must be a JSON object.');
  if (typeof raw.location !== 'string' || !raw.location)
    return { status: 400, code: 'LocationRequired', message: 'The location property is required for this definition.' };
  if (isObject(raw.tags)) {
    const reserved = Object.keys(raw.tags).filter((tag) => /[<>%&\\?/\p{Cc}]/u.test(tag));
    if (reserved.length > 0) return invalidTagNameCharacters(reserved);
  }
  const props = raw.properties;
  if (!isObject(props)) return invalidContent("Required property 'properties' not found in JSON.");
  if (typeof props.osType !== 'string') return invalidContent("Required property 'osType' not found in JSON. Path 'properties'.");
  if (!Array.isArray(props.containers) || props.containers.length === 0) {
    return invalidContent("Required property 'containers' not found in JSON. Path 'properties'.");
  }
  for (const [i, c] of (props.containers as unknown[]).entries()) {
    const p = isObject(c) && isObject(c.properties) ? c.properties : undefined;
    const requests = p && isObject(p.resources) && isObject(p.resources.requests) ? p.resources.requests : undefined;
    if (!isObject(c) || typeof c.name !== 'string' || !p || typeof p.image !== 'string' || !requests) {
      return invalidContent(`Required properties 'name', 'image' and 'resources.requests' must be set. Path 'properties.containers[${i}]'.`);
    }
    if (typeof requests.cpu !== 'number' || typeof requests.memoryInGB !== 'number') {
      return invalidContent(`Properties 'cpu' and 'memoryInGB' must be numbers. Path 'properties.containers[${i}].properties.resources.requests'.`);
    }
    const env = p.environmentVariables;
    if (env !== undefined && (!Array.isArray(env) || !env.every((e) => isObject(e) && typeof e.name === 'string'))) {
      return invalidContent(`Each environment variable needs a name. Path 'properties.containers[${i}].properties.environmentVariables'.`);
    }
  }
  return raw as unknown as GroupBody;
}

/** The response body: secureValue and registry passwords never echoed; instanceView only where ARM gives it. */
export function wireGroup(group: StoredGroup, view: 'full' | 'list' | 'created'): Record<string, unknown> {
  const { body } = group;
  const terminated = group.container.state === 'Terminated';
  // A group whose provisioning failed never got a host: it stays Pending (as in the Get_Failed example).
  const groupState = group.provisioningState !== 'Succeeded' ? 'Pending' : terminated ? (group.container.exitCode === 0 ? 'Succeeded' : 'Failed') : 'Running';
  const containers = body.properties.containers.map((c, i) => ({
    name: c.name,
    properties: {
      command: [],
      ports: [],
      ...c.properties,
      environmentVariables: (c.properties.environmentVariables ?? []).map((e) =>
        e.secureValue !== undefined ? { name: e.name } : { name: e.name, value: e.value ?? '' },
      ),
      ...(view === 'full' && i === 0 ? { instanceView: containerView(group) } : {}),
    },
  }));
  return {
    id: group.id,
    name: group.name,
    type: CONTAINER_GROUP_TYPE,
    location: body.location,
    tags: body.tags ?? {},
    ...(body.zones ? { zones: body.zones } : {}),
    ...(body.identity ? { identity: wireIdentity(body.identity) } : {}),
    properties: {
      sku: 'Standard',
      ...body.properties,
      provisioningState: group.provisioningState,
      containers,
      initContainers: [],
      restartPolicy: body.properties.restartPolicy ?? 'Always',
      imageRegistryCredentials: (body.properties.imageRegistryCredentials ?? []).map(({ password: _password, ...rest }) => rest),
      ...(view === 'list'
        ? {}
        : {
            instanceView: { events: group.failure && view === 'full' ? [failureEvent(group.failure)] : [], state: view === 'created' ? 'Pending' : groupState },
          }),
    },
  };
}

function containerView(group: StoredGroup): Record<string, unknown> {
  const { state, startTime, finishTime, exitCode } = group.container;
  const currentState =
    state === 'Terminated'
      ? { state, startTime, exitCode, finishTime, detailStatus: exitCode === 0 ? 'Completed' : 'Error' }
      : state === 'Running'
        ? { state, startTime, detailStatus: '' }
        : { state, detailStatus: '' };
  const image = group.body.properties.containers[0]?.properties.image ?? '';
  const at = startTime ?? group.createdAt;
  const events =
    state === 'Waiting'
      ? [event('Pulling', `pulling image "${image}"`, group.createdAt)]
      : [
          event('Pulling', `pulling image "${image}"`, group.createdAt),
          event('Pulled', `Successfully pulled image "${image}"`, at),
          event('Started', 'Started container', at),
        ];
  return { restartCount: 0, currentState, events };
}

/** The warning event ACI records on a failed group and in its failed operation's `properties.events`. */
export function failureEvent(failure: GroupFailure): Record<string, unknown> {
  return { count: 1, firstTimestamp: failure.at, lastTimestamp: failure.at, name: failure.eventName, message: failure.message, type: 'Warning' };
}

function event(name: string, message: string, at: string) {
  return { count: 1, firstTimestamp: at, lastTimestamp: at, name, message, type: 'Normal' };
}

function wireIdentity(identity: NonNullable<GroupBody['identity']>): Record<string, unknown> {
  const assigned = identity.userAssignedIdentities;
  return {
    ...identity,
    ...(assigned
      ? { userAssignedIdentities: Object.fromEntries(Object.keys(assigned).map((id) => [id, { principalId: fakeGuid(id, 'p'), clientId: fakeGuid(id, 'c') }])) }
      : {}),
  };
}

function fakeGuid(seed: string, salt: string): string {
  let h = 0;
  for (const ch of seed + salt) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Regions as ARM normalises them in quota messages and operation URLs ("West Europe" → "westeurope"). */
export function regionOf(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}
