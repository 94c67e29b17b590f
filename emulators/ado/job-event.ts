import type { JobRecord, OrgRecord, ProjectRecord } from './state';

export const JOB_EVENT_TYPE = 'ms.vss-pipelines.job-state-changed-event';
export const JOB_EVENT_PUBLISHER = 'pipelines';

/**
 * A job's state as the delivery log and the subscription filter (Waiting/Running/Completed) name
 * it; the event body writes it as EVENT_JOB_STATE does.
 */
export type HookJobState = 'waiting' | 'running' | 'completed';

/**
 * `resource.job.state` as real deliveries write it: a running job is `inProgress` (seen by
 * production consumers of the event), not the filter's Running.
 */
export const EVENT_JOB_STATE: Readonly<Record<HookJobState, string>> = { waiting: 'waiting', running: 'inProgress', completed: 'completed' };

export interface JobEventInput {
  readonly subscriptionId: string;
  readonly notificationId: number;
  readonly eventId: string;
  readonly orgUrl: string;
  readonly org: OrgRecord;
  readonly project: ProjectRecord;
  readonly job: JobRecord;
  readonly state: HookJobState;
  readonly createdDate: string;
}

/**
 * The service hook body in the shape of test/fixtures/ado/job-state-changed.docs.json, plus what
 * real deliveries add to the documented sample: `resource.projectId` and the containers' `baseUrl`.
 */
export function jobStateChangedEvent(input: JobEventInput): Record<string, unknown> {
  const { job, project, orgUrl, state } = input;
  const projectUrl = `${orgUrl}/${encodeURIComponent(project.name)}`;
  const resultsUrl = `${projectUrl}/_build/results?buildId=${job.buildId}`;
  const definitionUrl = `${projectUrl}/_build/definition?definitionId=${job.definitionId}`;
  const result = state === 'completed' ? (job.result ?? null) : null;
  const started = state === 'waiting' ? null : (job.assignTime ?? null);
  const finished = state === 'completed' ? (job.finishTime ?? null) : null;
  const pipeline = {
    url: `${orgUrl}/${project.id}/_apis/Pipelines/${job.definitionId}?revision=1`,
    id: job.definitionId,
    revision: 1,
    name: job.pipelineName,
    folder: '\\',
  };
  const outcome = state === 'completed' ? (result ?? 'completed') : state === 'running' ? 'started' : 'is waiting for an agent';
  const lead = `Run ${job.runName} stage ${job.stageName} job`;
  const message = {
    text: `${lead} ${job.jobName} ${outcome}.`,
    html: `${lead} <a href="${resultsUrl}">${job.jobName}</a> ${outcome}.`,
    markdown: `${lead} [${job.jobName}](${resultsUrl}) ${outcome}.`,
  };
  const baseUrl = `${orgUrl}/`;
  return {
    subscriptionId: input.subscriptionId,
    notificationId: input.notificationId,
    id: input.eventId,
    eventType: JOB_EVENT_TYPE,
    publisherId: JOB_EVENT_PUBLISHER,
    message,
    detailedMessage: message,
    resource: {
      job: {
        _links: { web: { href: resultsUrl }, 'pipeline.web': { href: definitionUrl } },
        id: job.jobId,
        name: job.jobName,
        state: EVENT_JOB_STATE[state],
        result,
        startTime: started,
        finishTime: finished,
      },
      stage: {
        id: job.stageId,
        name: job.stageName,
        displayName: null,
        state: state === 'completed' ? 'completed' : 'running',
        result,
        startTime: job.queueTime,
        finishTime: finished,
      },
      run: {
        pipeline,
        state: state === 'completed' ? 'completed' : 'inProgress',
        result,
        createdDate: job.queueTime,
        finishedDate: finished,
        id: job.buildId,
        name: job.runName,
      },
      pipeline,
      repositories: [],
      projectId: project.id,
    },
    resourceVersion: '5.1-preview.1',
    resourceContainers: {
      collection: { id: input.org.collectionId, baseUrl },
      account: { id: input.org.accountId, baseUrl },
      project: { id: project.id, baseUrl },
    },
    createdDate: input.createdDate,
  };
}
