import { azureRestFailure, type AzureRestFailure } from '../../errors/azure-rest-error';
import { ScalerError } from '../../errors/scaler-error';
import { systemClock, type Clock } from '../../time/clock';

/** Where an ARM call went, for messages that say where and what to do. */
export interface AciScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
}

/** An ARM failure as the Azure SDKs report it, and whether ARM had accepted the create (a CreateFailedError). */
interface ArmFailure extends AzureRestFailure {
  readonly accepted: boolean;
}

/**
 * A create ACI accepted (201) and then failed: its operation ended `Failed`. The SDK reports only
 * "The long-running operation has failed" when the operation's error has no code, as ACI's
 * capacity failures have none; this carries what the operation body said.
 */
export class CreateFailedError extends Error {
  readonly accepted = true;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CreateFailedError';
  }
}

const THROTTLE_DEFAULT_MS = 30_000;
/** Quota frees only when agents finish (minutes), so waiting less would only spend ARM writes. */
export const QUOTA_RETRY_MS = 60_000;
/** ScalerError code of a create refused for a used-up ACI quota (cores or container groups), whatever ARM's own code. */
export const ACI_QUOTA_CODE = 'AciQuotaExceeded';
/** ScalerError code of a create refused, or failed after acceptance, for lack of ACI capacity in the region. */
export const ACI_NO_CAPACITY_CODE = 'AciNoCapacity';
const QUOTA = /container group quota '([^']+)' exceeded/i;
// The service's words ("The requested resource is not available in the location ...") and the
// troubleshooting article's ("The requested resource with 'x' CPU and 'y.z' GB memory is not
// available in the location ...").
const NO_CAPACITY = /requested resource (?:with .*? )?is not available in the location/i;
/** The event ACI records on a create it failed for capacity ("InsufficientCapacity."). */
const CAPACITY_EVENT = /^InsufficientCapacity\b/i;

/** `now` reads a Retry-After given as an HTTP date. */
function armFailure(error: unknown, now: Clock = systemClock): ArmFailure | undefined {
  if (typeof error !== 'object' || error === null || !('message' in error)) return undefined;
  return { ...azureRestFailure(error, now), accepted: 'accepted' in error && error.accepted === true };
}

export function isNotFound(error: unknown): boolean {
  return armFailure(error)?.status === 404;
}

/** No capacity for the group in the region: refused on the PUT (409), or failed after ARM accepted it. */
export function isCapacityError(error: unknown): boolean {
  const e = armFailure(error);
  if (!e) return false;
  return (e.status === 409 || e.accepted) && (NO_CAPACITY.test(e.message) || CAPACITY_EVENT.test(e.code ?? ''));
}

/** A Spot create refused for Spot capacity or Spot quota, which a Regular group may not meet. */
export function isSpotCapacityError(error: unknown): boolean {
  const e = armFailure(error);
  if (!e) return false;
  return QUOTA.exec(e.message)?.[1]?.toLowerCase() === 'standardspotcores' || isCapacityError(error);
}

/** Whether a group's events say ACI failed it for capacity (a create that failed after it was accepted). */
export function failedForCapacity(events: ReadonlyArray<{ readonly name?: string; readonly message?: string }> | undefined): boolean {
  return (events ?? []).some((ev) => CAPACITY_EVENT.test(ev.name ?? '') || NO_CAPACITY.test(ev.message ?? ''));
}

/**
 * An ARM failure as the error kind the consumer branches on. `what` names the operation and
 * agent, `profile` the profile for quota advice. `secrets` are scrubbed from ARM's text, and the
 * raw error (whose request carries the PAT) is never attached as the cause.
 */
export function aciError(
  error: unknown,
  scope: AciScope,
  what: string,
  extra: { profile?: string; secrets?: readonly string[]; now?: Clock } = {},
): ScalerError {
  if (error instanceof ScalerError) return error;
  const e = armFailure(error, extra.now);
  const status = e?.status;
  const code = e?.code ?? 'unknown';
  const arm = scrub(e?.message ?? String(error), extra.secrets ?? []);
  const where = `resource group "${scope.resourceGroup}" of subscription ${scope.subscriptionId}`;
  // `recognised`: the scaler's name for a condition it tells apart (telemetry and alerts key on it); else ARM's own code.
  const fail = (kind: 'transient' | 'throttled' | 'permanent', message: string, retryAfterMs?: number, recognised = e?.code) =>
    new ScalerError(kind, `${what}: ${message}`, {
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(status === undefined ? {} : { status }),
      ...(recognised ? { code: recognised } : {}),
    });

  const quota = QUOTA.exec(arm)?.[1];
  if (quota) {
    const profile = extra.profile ? ` or lower maxAgents of profile "${extra.profile}"` : '';
    return fail(
      'throttled',
      `Azure Container Instances quota '${quota}' is used up in ${scope.location} for subscription ${scope.subscriptionId} (${arm}). Request more quota (Azure portal > Quotas > Azure Container Instances)${profile}.`,
      QUOTA_RETRY_MS,
      ACI_QUOTA_CODE,
    );
  }
  if (status === 429) return fail('throttled', `ARM throttled the request (${code}: ${arm})`, retryAfterMs(e) ?? THROTTLE_DEFAULT_MS);
  if (isCapacityError(error)) {
    return fail(
      'throttled',
      `Azure Container Instances has no capacity for this size in ${scope.location} right now (${arm}).`,
      QUOTA_RETRY_MS,
      ACI_NO_CAPACITY_CODE,
    );
  }
  if (e?.accepted) return fail('transient', `ACI accepted the container group and then failed to create it (${code}: ${arm})`);
  if (status === 401)
    return fail(
      'permanent',
      `ARM rejected the app's token for ${where} (${code}: ${arm}). Check that the app's managed identity is enabled and that the ARM endpoint setting matches the cloud.`,
    );
  if (status === 403) {
    return fail(
      'permanent',
      `the scaler's identity is not allowed to manage container groups in ${where} (${code}: ${arm}). Grant it "Azure Container Instances Contributor" on the resource group, and "Managed Identity Operator" on the agents' user-assigned identity if the profile sets identityId (plus join rights on the subnet if it sets subnetId).`,
    );
  }
  if (status === 404) return fail('permanent', `${where} was not found (${code}: ${arm}). Create it or fix launcher.subscriptionId / launcher.resourceGroup.`);
  if (status === 409 && /SubscriptionRegistration|SubscriptionNotRegistered/i.test(code)) {
    return fail(
      'permanent',
      `subscription ${scope.subscriptionId} is not registered for Microsoft.ContainerInstance (${arm}). Run: az provider register -n Microsoft.ContainerInstance.`,
    );
  }
  if (status === 400)
    return fail(
      'permanent',
      `ARM refused the container group in ${where} (${code}: ${arm}). Check the profile's image, cpu, memoryGb, identity, registry and subnet.`,
    );
  return fail('transient', status === undefined ? `ARM could not be reached (${code}: ${arm})` : `ARM answered ${status} (${code}: ${arm})`);
}

function retryAfterMs(e: ArmFailure | undefined): number | undefined {
  return e?.retryAfterMs === undefined ? undefined : Math.max(1_000, e.retryAfterMs);
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => (s ? t.split(s).join('***') : t), text);
}
