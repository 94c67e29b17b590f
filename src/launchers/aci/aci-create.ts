import type { ContainerGroup, ContainerGroups } from '@azure/arm-containerinstance';
import { errorMessage } from '../../errors/error-message';
import { ScalerError } from '../../errors/scaler-error';
import type { Clock } from '../../time/clock';
import type { AgentSpec } from '../launcher';
import { CreateFailedError, isNotFound, isSpotCapacityError, QUOTA_RETRY_MS } from './aci-errors';
import { agentContainerGroup, type AciSettings } from './aci-group-spec';

/** The container group operations the launcher uses (what a test double must provide). */
export type ContainerGroupOperations = Pick<ContainerGroups, 'get' | 'beginCreateOrUpdate' | 'beginDelete' | 'beginDeleteAndWait' | 'listByResourceGroup'>;

/** After a Spot capacity failure, how long Spot is taken to be short: "preferred" goes Regular meanwhile, "required" waits. */
export const SPOT_SHORT_MS = QUOTA_RETRY_MS;
/** A failed Spot group found older than this says nothing about Spot capacity now. */
const SPOT_FAILURE_RELEVANT_MS = 10 * 60_000;

/**
 * Spot capacity as this launcher last saw it, per process: a Spot create that failed for
 * capacity, at start or found later as a failed group, makes the next starts skip Spot
 * ("preferred") or wait ("required") for SPOT_SHORT_MS, instead of each start failing again.
 */
export function spotShortage(now: Clock) {
  let until = 0;
  return {
    /** Epoch ms until which Spot is short; undefined when it is not. */
    until: (): number | undefined => (until > now() ? until : undefined),
    /** A Spot capacity failure at `failedAt` (epoch ms; now by default). */
    note(failedAt = now()): void {
      const t = now();
      if (t - failedAt <= SPOT_FAILURE_RELEVANT_MS) until = Math.max(until, t + SPOT_SHORT_MS);
    },
  };
}
export type SpotShortage = ReturnType<typeof spotShortage>;

/**
 * Creates the agent's group as the profile's Spot policy says and returns once ARM accepted it
 * (the SDK's first poll included). A create ACI fails after accepting it is deleted before
 * anything else happens under its name: ACI keeps a failed group and may still bring it up
 * later (Microsoft's "Azure Container Instances states"), and the name is the agent's.
 */
export async function createAgentGroup(
  ops: ContainerGroupOperations,
  rg: string,
  spec: AgentSpec,
  settings: AciSettings,
  shortage: SpotShortage,
  now: Date,
): Promise<void> {
  const policy = settings.spot;
  const shortUntil = shortage.until();
  if (policy === 'required' && shortUntil !== undefined)
    throw spotWait(spec, settings, shortUntil - now.getTime(), now, 'a Spot create failed for capacity or quota less than a minute ago');
  const create = (priority: 'Spot' | 'Regular') => createOnce(ops, rg, spec.name, agentContainerGroup(spec, settings, priority, now));
  if (!policy || (policy === 'preferred' && shortUntil !== undefined)) return create('Regular');
  try {
    await create('Spot');
  } catch (e) {
    // Spot capacity and Spot quota are separate from Regular's.
    if (!isSpotCapacityError(e)) throw e;
    shortage.note();
    if (policy === 'required') throw spotWait(spec, settings, SPOT_SHORT_MS, now, refusal(e, spec.pat));
    await create('Regular');
  }
}

async function createOnce(ops: ContainerGroupOperations, rg: string, name: string, group: ContainerGroup): Promise<void> {
  let lastBody: unknown;
  try {
    // The last response is the create operation's status, whose error text the SDK drops when it has no code.
    await ops.beginCreateOrUpdate(rg, name, group, { onResponse: (raw) => void (lastBody = raw.parsedBody) });
  } catch (e) {
    const failed = acceptedThenFailed(e, lastBody);
    if (!failed) throw e;
    await deleteAndWait(ops, rg, name);
    throw failed;
  }
}

/** Deletes and waits until it is gone, so that a create of the same name is a new group. */
export async function deleteAndWait(ops: ContainerGroupOperations, rg: string, name: string): Promise<void> {
  try {
    await ops.beginDeleteAndWait(rg, name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

interface OperationBody {
  readonly status?: string;
  readonly error?: { readonly code?: string; readonly message?: string };
  readonly properties?: { readonly events?: ReadonlyArray<{ readonly name?: string; readonly message?: string; readonly type?: string }> };
}

/** The create operation's own failure, when ARM accepted the create and ACI failed it. */
function acceptedThenFailed(error: unknown, body: unknown): CreateFailedError | undefined {
  if (typeof error !== 'object' || error === null || 'statusCode' in error) return undefined;
  const op = body as OperationBody | undefined;
  if (op?.status?.toLowerCase() !== 'failed') return undefined;
  const warning = op.properties?.events?.find((ev) => ev.type === 'Warning') ?? op.properties?.events?.[0];
  const message = op.error?.message ?? warning?.message ?? (error as Error).message;
  const code = op.error?.code || warning?.name?.replace(/\.$/, '') || 'Failed';
  return new CreateFailedError(message, code);
}

function refusal(error: unknown, pat: string): string {
  const text = errorMessage(error);
  const arm = pat ? text.split(pat).join('***') : text;
  return /StandardSpotCores/i.test(arm) ? `the Spot cores quota is used up: ${arm}` : `no Spot capacity for this size: ${arm}`;
}

function spotWait(spec: AgentSpec, settings: AciSettings, waitMs: number, now: Date, why: string): ScalerError {
  const retryAfterMs = Math.max(1_000, waitMs);
  return new ScalerError(
    'throttled',
    `Profile "${spec.profile.name}" waits for Spot in ${settings.location} (spot: "required"; ${why}); Spot is tried again from ${new Date(now.getTime() + retryAfterMs).toISOString()}. Set "spot": "preferred" to run on Regular meanwhile.`,
    { retryAfterMs },
  );
}
