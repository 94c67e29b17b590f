import { describe, expect, it } from 'vitest';
import { patExposures } from './pat-exposures';
import type { KubeRequest } from './types';

const PAT = 'pat-1234-s3cr3t';
const request = (method: string, path: string, body: unknown, query: Record<string, string> = {}): KubeRequest => ({
  method,
  path,
  query,
  status: 201,
  body: JSON.stringify(body),
  headers: {},
  time: '2025-01-01T00:00:00Z',
});
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('PAT exposure check', () => {
  it("allows the PAT in a Secret's data and stringData, also through JSON patches", () => {
    expect(
      patExposures(
        [
          request('POST', '/api/v1/namespaces/a/secrets', { metadata: { name: 's' }, stringData: { token: PAT } }),
          request('PUT', '/api/v1/namespaces/a/secrets/s', { metadata: { name: 's' }, data: { token: b64(PAT) } }),
          request('PATCH', '/api/v1/namespaces/a/secrets/s', [{ op: 'add', path: '/stringData', value: { token: PAT } }]),
        ],
        '-s3cr3t',
      ),
    ).toEqual([]);
  });

  it('finds it, plain or base64 at any alignment, in Job bodies, Secret metadata and URLs', () => {
    const found = patExposures(
      [
        request('POST', '/apis/batch/v1/namespaces/a/jobs', { spec: { template: { spec: { containers: [{ env: [{ name: 'AZP_TOKEN', value: PAT }] }] } } } }),
        request('POST', '/api/v1/namespaces/a/secrets', { metadata: { name: 's', annotations: { copy: b64(`x${PAT}`) } }, data: {} }),
        request('POST', '/apis/batch/v1/namespaces/a/jobs', { metadata: { labels: { t: b64(`xy${PAT}z`) } } }),
        request('GET', '/apis/batch/v1/namespaces/a/jobs', '', { labelSelector: `token=${PAT}` }),
      ],
      '-s3cr3t',
    );
    expect(found).toEqual([
      'POST /apis/batch/v1/namespaces/a/jobs body',
      'POST /api/v1/namespaces/a/secrets body',
      'POST /apis/batch/v1/namespaces/a/jobs body',
      'GET /apis/batch/v1/namespaces/a/jobs url',
    ]);
  });
});
