import { randomUUID } from 'node:crypto';
import { badRequest, invalid } from './status';
import type { Container, Job, KubeObject, Secret } from './types';
import { validateLabels, validateMeta, validatePodSpec, validateSecretData } from './validation';

// What the API server does to a create or update before storing it: validation with its
// messages, then defaulting, so stored objects read back as they do from a real cluster.

/** The client's object, with server-owned metadata dropped and the namespace from the URL. */
export function incoming(body: unknown, namespace: string): KubeObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
  const obj = structuredClone(body) as KubeObject;
  const meta = obj.metadata ?? {};
  if (meta.namespace && meta.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, deletionTimestamp: _dt, generation: _g, ...rest } = meta;
  return { ...obj, metadata: { ...rest, namespace, uid: '', resourceVersion: '', creationTimestamp: '' } };
}

/** A new Job: validated (names are capped at 63 characters, they become a label value), then defaulted with its selector. */
export function admitJob(obj: KubeObject): Job {
  const job = obj as Job;
  const name = job.metadata.name;
  const spec = job.spec as Job['spec'] | undefined;
  const causes = [
    ...validateMeta(job, 63),
    ...validatePodSpec(spec?.template?.spec, 'spec.template.spec', ['OnFailure', 'Never']),
    ...validateLabels(spec?.template?.metadata?.labels ?? {}, 'spec.template.metadata.labels'),
  ];
  if (spec?.backoffLimit !== undefined && (!Number.isInteger(spec.backoffLimit) || spec.backoffLimit < 0)) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'spec.backoffLimit',
      message: `Invalid value: ${String(spec.backoffLimit)}: must be greater than or equal to 0`,
    });
  }
  if (causes.length > 0 || !spec) throw invalid('Job', 'batch', name, causes);

  const uid = randomUUID();
  const controllerLabels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
  const templateLabels = { ...spec.template.metadata?.labels, ...controllerLabels };
  return {
    ...job,
    metadata: { ...job.metadata, uid, generation: 1, labels: job.metadata.labels ?? templateLabels },
    spec: {
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      completions: 1,
      manualSelector: false,
      parallelism: 1,
      podReplacementPolicy: 'TerminatingOrFailed',
      suspend: false,
      ...spec,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: {
        metadata: { ...spec.template.metadata, creationTimestamp: null, labels: templateLabels },
        spec: {
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
          ...spec.template.spec,
          containers: spec.template.spec.containers.map(containerDefaults),
        },
      },
    },
    status: {},
  };
}

function containerDefaults(c: Container): Container {
  const tag = c.image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(c.image)?.[1] ?? 'latest');
  return {
    imagePullPolicy: tag === 'latest' ? 'Always' : 'IfNotPresent',
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ...c,
  };
}

/**
 * A Secret as stored: `stringData` is write-only and merged into `data` (base64), as the API
 * server does; `type` defaults to Opaque.
 */
export function admitSecret(obj: KubeObject): Secret {
  const { stringData, ...secret } = obj as Secret & { stringData?: Record<string, unknown> };
  const data: Record<string, string> = { ...secret.data };
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (data[${key}])`);
    }
  }
  for (const [key, value] of Object.entries(stringData ?? {})) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  const causes = [...validateMeta(secret), ...validateSecretData(data)];
  if (causes.length > 0) throw invalid('Secret', '', secret.metadata.name, causes);
  return { ...secret, type: secret.type ?? 'Opaque', data };
}
