import { z } from 'zod';

export const JOB_STATE_CHANGED = 'ms.vss-pipelines.job-state-changed-event';

const link = z.looseObject({ href: z.string().optional() }).optional();
const links = z.record(z.string(), link).optional();
const container = z.looseObject({ id: z.string().optional(), baseUrl: z.string().optional() }).optional();

/** Any service hook delivery: enough to tell which event it is. */
export const serviceHookEnvelopeSchema = z.looseObject({
  eventType: z.string().min(1),
  publisherId: z.string().optional(),
  resource: z.unknown().optional(),
  resourceContainers: z
    .looseObject({ account: container, collection: container, project: container })
    .optional(),
});

/** `resource` of ms.vss-pipelines.job-state-changed-event; it names the job, not the pool. */
export const jobStateResourceSchema = z.looseObject({
  job: z.looseObject({
    id: z.string().min(1),
    name: z.string().optional(),
    state: z.string().min(1),
    result: z.string().nullish(),
    _links: links,
  }),
  run: z.looseObject({ id: z.number().optional(), _links: links }).optional(),
  pipeline: z.looseObject({ id: z.number().optional(), url: z.string().optional() }).optional(),
});

export type ServiceHookEnvelope = z.infer<typeof serviceHookEnvelopeSchema>;
export type JobStateResource = z.infer<typeof jobStateResourceSchema>;

/** Every URL in the delivery that can tell which organization sent it, best first. */
export function organizationUrlHints(envelope: ServiceHookEnvelope, resource: JobStateResource): string[] {
  const rc = envelope.resourceContainers;
  const hrefs = [resource.job._links, resource.run?._links].flatMap((l) => Object.values(l ?? {}).map((x) => x?.href));
  return [rc?.account?.baseUrl, rc?.collection?.baseUrl, resource.pipeline?.url, ...hrefs].filter(
    (u): u is string => typeof u === 'string' && u.length > 0,
  );
}
