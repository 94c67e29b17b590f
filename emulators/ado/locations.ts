import { sendJson } from './http-util';
import { identityRef } from './rest-shapes';
import { pathIs, type RestRoute } from './rest-context';

/**
 * azure-devops-node-api builds every URL from `OPTIONS {org}/_apis/{area}` (VsoClient) and picks
 * the service host from `_apis/ResourceAreas` (WebApi). Ids and templates are dev.azure.com's.
 */
interface ApiResourceLocation {
  readonly id: string;
  readonly area: string;
  readonly resourceName: string;
  readonly routeTemplate: string;
  readonly resourceVersion: number;
  readonly minVersion: string;
  readonly maxVersion: string;
  readonly releasedVersion: string;
}

function location(id: string, area: string, resourceName: string, routeTemplate: string): ApiResourceLocation {
  // 7.2 as preview with 7.1 released makes the client's "7.2-preview.1" negotiate unchanged.
  return { id, area, resourceName, routeTemplate, resourceVersion: 1, minVersion: '1.0', maxVersion: '7.2', releasedVersion: '7.1' };
}

const AREA_LOCATIONS: Readonly<Record<string, readonly ApiResourceLocation[]>> = {
  distributedtask: [
    location('a8c47e17-4d56-4a56-92bb-de7ea7dc65be', 'distributedtask', 'pools', '_apis/{area}/{resource}/{poolId}'),
    location('e298ef32-5878-4cab-993c-043836571f42', 'distributedtask', 'agents', '_apis/{area}/pools/{poolId}/{resource}/{agentId}'),
    location('fc825784-c92a-4299-9221-998a02d1b54f', 'distributedtask', 'jobrequests', '_apis/{area}/pools/{poolId}/{resource}/{requestId}'),
  ],
  hooks: [location('fc50d02a-849f-41fb-8af1-0a5216103269', 'hooks', 'subscriptions', '_apis/{area}/{resource}/{subscriptionId}')],
  location: [
    location('00d9565f-ed9c-4a06-9a50-00e7896ccab4', 'Location', 'ConnectionData', '_apis/{resource}'),
    location('e81700f7-3be2-46de-8624-2eb35882fcaa', 'Location', 'ResourceAreas', '_apis/{resource}/{areaId}'),
  ],
};

/** Resource area ids the node client's factories ask for; all are served from the org URL here. */
const RESOURCE_AREAS: ReadonlyArray<readonly [string, string]> = [
  ['a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd', 'distributedtask'],
  ['79134c72-4a58-4b42-976c-04e7115f32bf', 'core'],
  ['965220d5-5bb9-42cf-8d67-9b146df2a5a4', 'build'],
  ['4e080c62-fa21-4fbc-8fef-2a10a2b38049', 'git'],
  ['1814ab31-2f4f-4a9f-8761-f4d77dc5a5d7', 'serviceendpoint'],
  ['fb13a388-40dd-4a04-b530-013a739c72ef', 'policy'],
  ['5264459e-e5e0-4bd8-b118-0985e68a4ec5', 'wit'],
  ['1d4f49f9-02b9-4e26-b826-2cdb6195f2a9', 'work'],
];

export const handleLocations: RestRoute = (ctx) => {
  const { segments, method, res, orgUrl, org } = ctx;
  if (method === 'OPTIONS' && segments.length <= 1) {
    const value = AREA_LOCATIONS[(segments[0] ?? '').toLowerCase()] ?? [];
    sendJson(res, 200, { count: value.length, value });
    return true;
  }
  if (method !== 'GET') return false;
  const areas = RESOURCE_AREAS.map(([id, name]) => ({ id, name, locationUrl: `${orgUrl}/` }));
  if (pathIs(segments, 'ResourceAreas')) {
    sendJson(res, 200, { count: areas.length, value: areas });
    return true;
  }
  if (pathIs(segments, 'ResourceAreas', null)) {
    const area = areas.find((a) => a.id === segments[1]?.toLowerCase() || a.name === segments[1]?.toLowerCase());
    if (area) sendJson(res, 200, area);
    else sendJson(res, 404, { message: `Resource area ${segments[1]} not found` });
    return true;
  }
  if (pathIs(segments, 'connectionData')) {
    const user = { ...identityRef(), isActive: true, properties: {} };
    sendJson(res, 200, {
      authenticatedUser: user,
      authorizedUser: user,
      instanceId: org.collectionId,
      deploymentId: org.accountId,
      deploymentType: 'hosted',
      locationServiceData: {
        serviceOwner: '00025394-6065-48ca-87d9-7f5672854ef7',
        defaultAccessMappingMoniker: 'PublicAccessMapping',
        lastChangeId: 1,
        lastChangeId64: 1,
      },
    });
    return true;
  }
  return false;
};
