import { sendAdoError, sendJson } from './http-util';
import { pathIs, type RestRoute } from './rest-context';
import type { OrgRecord, ProjectRecord } from './state';

const CORE_NAMESPACE = 'Microsoft.TeamFoundation.Core.WebApi';

/** A TeamProject as `GET _apis/projects/{projectId}` answers it (the fields clients read). */
function projectBody(orgUrl: string, org: OrgRecord, project: ProjectRecord): Record<string, unknown> {
  return {
    id: project.id,
    name: project.name,
    url: `${orgUrl}/_apis/projects/${project.id}`,
    state: 'wellFormed',
    revision: 1,
    visibility: 'private',
    lastUpdateTime: '2024-01-01T00:00:00.000Z',
    _links: { collection: { href: `${orgUrl}/_apis/projectCollections/${org.collectionId}` } },
  };
}

/** `GET _apis/projects` and `GET _apis/projects/{id or name}` (case-insensitive name, as ADO). */
export const handleProjects: RestRoute = (ctx) => {
  const { segments, method, res, org, orgUrl } = ctx;
  if (method !== 'GET') return false;
  if (pathIs(segments, 'projects')) {
    sendJson(res, 200, { count: org.projects.length, value: org.projects.map((p) => projectBody(orgUrl, org, p)) });
    return true;
  }
  if (!pathIs(segments, 'projects', null)) return false;
  const wanted = (segments[1] ?? '').toLowerCase();
  const project = org.projects.find((p) => p.id.toLowerCase() === wanted || p.name.toLowerCase() === wanted);
  if (project) {
    sendJson(res, 200, projectBody(orgUrl, org, project));
  } else {
    sendAdoError(
      res,
      404,
      'ProjectDoesNotExistWithNameException',
      `TF200016: The following project does not exist: ${segments[1]}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
      CORE_NAMESPACE,
    );
  }
  return true;
};
