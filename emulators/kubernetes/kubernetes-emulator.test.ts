import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubernetesEmulator, type KubernetesEmulator } from './kubernetes-emulator';
import { JOBS, SECRETS, jobBody, rawClient } from './raw-client';

// The API surface: authentication, object shapes, selectors and paging, validation, faults.

let k8s: KubernetesEmulator;
let call: ReturnType<typeof rawClient>;

beforeAll(async () => {
  k8s = await startKubernetesEmulator({ acceptToken: (t) => t === 'test-token', namespaces: ['agents'] });
  call = rawClient(k8s.url);
});
afterAll(() => k8s?.close());

describe('Kubernetes emulator API', () => {
  it('answers 401 with a Status without an accepted bearer token', async () => {
    const answer = await rawClient(k8s.url, 'wrong')('GET', JOBS);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('creates a Job with the defaults and selector a real API server adds, and refuses a duplicate', async () => {
    const created = await call('POST', JOBS, jobBody('shape', { labels: { app: 'x' } }));
    expect(created.status).toBe(201);
    const job = created.body as { metadata: Record<string, unknown>; spec: Record<string, unknown>; status: unknown };
    const uid = job.metadata.uid as string;
    expect(job).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'shape', namespace: 'agents', generation: 1, labels: { app: 'x' } },
      spec: {
        backoffLimit: 6,
        completions: 1,
        parallelism: 1,
        completionMode: 'NonIndexed',
        suspend: false,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
        template: { metadata: { labels: { app: 'x', 'controller-uid': uid, 'job-name': 'shape', 'batch.kubernetes.io/job-name': 'shape' } } },
      },
      status: {},
    });
    expect(job.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(job.metadata.resourceVersion).toMatch(/^\d+$/);

    const again = await call('POST', JOBS, jobBody('shape'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'jobs.batch "shape" already exists',
      details: { name: 'shape', group: 'batch', kind: 'jobs' },
      code: 409,
    });
    expect((await call('GET', `${JOBS}/nope`)).body).toMatchObject({ reason: 'NotFound', message: 'jobs.batch "nope" not found', code: 404 });
  });

  it('lists by equality selectors with limit/continue paging; list items carry no kind', async () => {
    for (const name of ['page-a', 'page-b', 'page-c'])
      await call('POST', JOBS, jobBody(name, { labels: { suite: 'paging', tier: name === 'page-b' ? 'gold' : 'std' } }));
    const first = await call('GET', `${JOBS}?labelSelector=suite%3Dpaging&limit=2`);
    const meta = first.body.metadata as { continue?: string; remainingItemCount?: number };
    expect(first.body.kind).toBe('JobList');
    const items = first.body.items as Array<Record<string, unknown>>;
    expect(items.map((i) => (i.metadata as { name: string }).name)).toEqual(['page-a', 'page-b']);
    expect(items[0]).not.toHaveProperty('kind');
    expect(meta.remainingItemCount).toBeUndefined(); // left out with a selector, as the real server does
    const second = await call('GET', `${JOBS}?labelSelector=suite%3Dpaging&limit=2&continue=${encodeURIComponent(meta.continue ?? '')}`);
    expect((second.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual(['page-c']);
    expect(second.body.metadata).not.toHaveProperty('continue');

    const names = async (selector: string) =>
      ((await call('GET', `${JOBS}?labelSelector=${encodeURIComponent(selector)}`)).body.items as Array<{ metadata: { name: string } }>).map(
        (i) => i.metadata.name,
      );
    expect(await names('suite==paging,tier!=gold')).toEqual(['page-a', 'page-c']);
    expect(await names('suite,!tier')).toEqual([]);
    expect((await call('GET', `${JOBS}?labelSelector=${encodeURIComponent('tier in (gold)')}`)).status).toBe(400);
  });

  it('refuses what the API server refuses: label values with "/" or ":", bad env names, restartPolicy Always, long Job names', async () => {
    const badLabel = await call('POST', JOBS, jobBody('bad-label', { labels: { 'ado-org': 'https://dev.azure.com/fabrikam' } }));
    expect(badLabel.status).toBe(422);
    expect(badLabel.body).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'metadata.labels' }, { field: 'spec.template.metadata.labels' }] } });
    expect(String(badLabel.body.message)).toContain('Job.batch "bad-label" is invalid: metadata.labels: Invalid value: "https://dev.azure.com/fabrikam"');

    const badEnv = await call('POST', JOBS, jobBody('bad-env', { env: [{ name: 'Agent OS', value: 'x' }] }));
    expect(badEnv.body).toMatchObject({ code: 422, details: { causes: [{ field: 'spec.template.spec.containers[0].env[0].name' }] } });

    const always = jobBody('always');
    always.spec.template.spec.restartPolicy = 'Always';
    expect((await call('POST', JOBS, always)).body).toMatchObject({ code: 422, details: { causes: [{ reason: 'FieldValueNotSupported' }] } });
    expect((await call('POST', JOBS, jobBody(`j${'x'.repeat(63)}`))).status).toBe(422);
    expect((await call('POST', '/apis/batch/v1/namespaces/elsewhere/jobs', jobBody('ns'))).body).toMatchObject({
      code: 404,
      message: 'namespaces "elsewhere" not found',
    });
  });

  it('stores stringData as base64 data and applies JSON and merge patches', async () => {
    const created = await call('POST', SECRETS, { metadata: { name: 'patched' }, stringData: { token: 'p@ss' } });
    expect(created.body).toMatchObject({ kind: 'Secret', type: 'Opaque', data: { token: Buffer.from('p@ss').toString('base64') } });
    expect(created.body).not.toHaveProperty('stringData');
    const jsonPatch = await call('PATCH', `${SECRETS}/patched`, [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }], 'application/json-patch+json');
    expect(jsonPatch.body).toMatchObject({ metadata: { labels: { a: 'b' } } });
    const merge = await call(
      'PATCH',
      `${SECRETS}/patched`,
      { metadata: { labels: { a: null, c: 'd' } }, stringData: { other: 'v' } },
      'application/merge-patch+json',
    );
    expect(merge.body).toMatchObject({ metadata: { labels: { c: 'd' } }, data: { token: expect.any(String) as string, other: 'dg==' } });
    expect((merge.body.metadata as { labels: object }).labels).not.toHaveProperty('a');
  });

  it('fails the next matching calls as injected, with Status and Retry-After, and logs raw bodies', async () => {
    k8s.injectFault({ status: 429, retryAfterSeconds: 7, count: 1, method: 'POST', pathContains: '/jobs' });
    k8s.injectFault({ status: 403, count: 1, method: 'POST', pathContains: '/secrets' });
    const throttled = await call('POST', JOBS, jobBody('faulted'));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 7 } });
    const forbidden = await call('POST', SECRETS, { metadata: { name: 'faulted' } });
    expect(forbidden.body).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(String(forbidden.body.message)).toContain('cannot create resource "secrets" in API group "" in the namespace "agents"');
    expect((await call('POST', JOBS, jobBody('faulted'))).status).toBe(201);

    const logged = k8s
      .requests()
      .filter((r) => r.path === JOBS && r.method === 'POST')
      .slice(-2);
    expect(logged.map((r) => [r.status, r.injected ?? false])).toEqual([
      [429, true],
      [201, false],
    ]);
    expect(JSON.parse(logged[1]?.body ?? '{}')).toMatchObject({ metadata: { name: 'faulted' } });
    expect(logged[1]?.headers.authorization).toBe('Bearer <token>');

    // The path matches case-insensitively, as every emulator's faults do; clearFaults drops the rest.
    k8s.injectFault({ status: 504, count: 2, method: 'get', pathContains: '/JOBS' });
    const timedOut = await call('GET', JOBS);
    expect([timedOut.status, timedOut.body.reason]).toEqual([504, 'Timeout']);
    k8s.clearFaults();
    expect((await call('GET', JOBS)).status).toBe(200);
    expect(() => k8s.injectFault({ status: 503, count: -1 })).toThrow(/"count"/);
  });
});
