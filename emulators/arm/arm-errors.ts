/**
 * ARM error answers as the real service words them (sources: Microsoft Learn troubleshooting
 * articles for ACI and ARM throttling; see README.md "ARM / ACI emulator"). Every ARM error
 * body is `{"error": {"code", "message"}}`.
 */
export interface ArmError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function errorBody(error: Pick<ArmError, 'code' | 'message'>): { error: { code: string; message: string } } {
  return { error: { code: error.code, message: error.message } };
}

export const CONTAINER_GROUP_TYPE = 'Microsoft.ContainerInstance/containerGroups';

/** Code of every ACI quota refusal; the quota's name is in the message. */
export const QUOTA_CODE = 'ContainerGroupQuotaReached';

export type QuotaName = 'ContainerGroups' | 'StandardCores' | 'StandardSpotCores';

export function quotaExceeded(quota: QuotaName, region: string, limit: number, usage: number, requested: number): ArmError {
  // ACI answers this on the PUT with 400 (as recorded by terraform's azurerm provider).
  return {
    status: 400,
    code: QUOTA_CODE,
    message: `Resource type '${CONTAINER_GROUP_TYPE}' container group quota '${quota}' exceeded in region '${region}'. Limit: '${limit}', Usage: '${usage}' Requested: '${requested}'.`,
  };
}

/**
 * How ACI words "no capacity": `service` as the service answers (the PUT's 409 and the failed
 * create operation alike, e.g. in the async operation bodies quoted in Azure/Azure-Landing-Zones
 * #2404 and #2409, and in Microsoft's "ServiceUnavailable (409) - requested resource is not
 * available in the location" article); `doc` as Microsoft's ACI troubleshooting article
 * ("Resource not available error") quotes it.
 */
export type CapacityWording = 'service' | 'doc';

export function capacityMessage(region: string, cpu: number, memoryInGB: number, wording: CapacityWording = 'service'): string {
  return wording === 'doc'
    ? `The requested resource with '${cpu}' CPU and '${memoryInGB}' GB memory is not available in the location '${region}' at this moment. Please retry with a different resource request or in another location.`
    : `The requested resource is not available in the location '${region}' at this moment. Please retry with a different resource request or in another location. Resource requested: '${cpu}' CPU '${memoryInGB}' GB memory 'Linux' OS`;
}

/** No capacity for the request in the region right now (also what Spot groups meet when Spot capacity runs out). */
export function capacityUnavailable(region: string, cpu: number, memoryInGB: number, wording: CapacityWording = 'service'): ArmError {
  return { status: 409, code: 'ServiceUnavailable', message: capacityMessage(region, cpu, memoryInGB, wording) };
}

export function throttled(subscriptionId: string, write: boolean, retryAfterSeconds: number): ArmError {
  return {
    status: 429,
    code: 'SubscriptionRequestsThrottled',
    message: `Number of ${write ? 'write' : 'read'} requests for subscription '${subscriptionId}' exceeded the limit of '${write ? 1200 : 12000}' for time interval '01:00:00'. Please try again after '${retryAfterSeconds}' seconds.`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

/**
 * ACI's own create-rate limit ("Container group creates per 5 minutes: 100", "... per hour: 300"
 * in the ACI quotas article). The message is ACI's as recorded from the service ("Number of
 * requests for action 'ContainerGroupCreation' exceeded the limit of '20' for time interval
 * '00:05:00'. Please try again after '1.25' minutes."); the code is the one ARM resource
 * providers answer that same sentence with (429 `ResourceRequestsThrottled`).
 */
export const CREATE_RATE_CODE = 'ResourceRequestsThrottled';

export function createRateExceeded(limit: number, windowMs: number, retryAfterSeconds: number): ArmError {
  const minutes = Math.round((retryAfterSeconds / 60) * 100) / 100;
  return {
    status: 429,
    code: CREATE_RATE_CODE,
    message: `Number of requests for action 'ContainerGroupCreation' exceeded the limit of '${limit}' for time interval '${timeSpan(windowMs)}'. Please try again after '${minutes}' minutes.`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

/** A .NET TimeSpan as ARM prints it: hh:mm:ss, with seven fraction digits when there is a fraction. */
function timeSpan(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = `${pad(Math.floor(whole / 3600))}:${pad(Math.floor(whole / 60) % 60)}:${pad(whole % 60)}`;
  const fraction = Math.round(ms % 1000);
  return fraction ? `${text}.${String(fraction * 10_000).padStart(7, '0')}` : text;
}

export function resourceNotFound(resourceGroup: string, name: string): ArmError {
  return {
    status: 404,
    code: 'ResourceNotFound',
    message: `The Resource '${CONTAINER_GROUP_TYPE}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  };
}

export function resourceGroupNotFound(resourceGroup: string): ArmError {
  return { status: 404, code: 'ResourceGroupNotFound', message: `Resource group '${resourceGroup}' could not be found.` };
}

export function invalidContent(detail: string): ArmError {
  return { status: 400, code: 'InvalidRequestContent', message: `The request content was invalid and could not be deserialized: '${detail}'.` };
}

export function invalidName(name: string): ArmError {
  return {
    status: 400,
    code: 'InvalidContainerGroupName',
    message: `The container group name '${name}' is invalid. The container group name must contain no more than 63 characters and only lowercase alphanumeric characters and '-', and must not start or end with '-' or contain '--'.`,
  };
}

/** ARM's answer to tag names with characters it reserves (as recorded in coreos/tectonic-installer#596). */
export function invalidTagNameCharacters(names: readonly string[]): ArmError {
  return {
    status: 400,
    code: 'InvalidTagNameCharacters',
    message: `The tag names '${names.join(',')}' have reserved characters '<,>,%,&,\\,?,/' or control characters.`,
  };
}

/** What an injected fault answers when the test names only a status (and maybe a code). */
export function faultError(
  fault: { status: number; code?: string; message?: string; retryAfterSeconds?: number },
  context: { subscriptionId: string; write: boolean; region: string },
): ArmError {
  const retryAfter = fault.retryAfterSeconds;
  const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) };
  let base: ArmError;
  if (fault.code === QUOTA_CODE) base = { ...quotaExceeded('StandardCores', context.region, 100, 100, 1), status: fault.status };
  else if (fault.status === 429) base = throttled(context.subscriptionId, context.write, retryAfter ?? 17);
  else if (fault.status === 409 && (fault.code === undefined || fault.code === 'ServiceUnavailable')) base = capacityUnavailable(context.region, 1, 2);
  else if (fault.status === 403) base = { status: 403, code: 'AuthorizationFailed', message: 'The client does not have authorization to perform this action.' };
  else if (fault.status >= 500)
    base = {
      status: fault.status,
      code: fault.status === 503 ? 'ServiceUnavailable' : 'InternalServerError',
      message: 'The server encountered an internal error. Please retry the request.',
    };
  else base = { status: fault.status, code: fault.code ?? 'BadRequest', message: 'Injected fault.' };
  return {
    ...base,
    code: fault.code ?? base.code,
    message: fault.message ?? base.message,
    ...(headers || base.headers ? { headers: { ...base.headers, ...headers } } : {}),
  };
}
