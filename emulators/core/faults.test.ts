import { describe, expect, it } from 'vitest';
import { FaultInjector, InvalidFaultError, type Fault } from './faults';
import { matchesRequest } from './request-match';

describe('FaultInjector', () => {
  it('matches method and path case-insensitively, and an absent field matches anything', () => {
    const faults = new FaultInjector();
    faults.add({ status: 503, count: 3, method: 'post', pathContains: '/Jobs' });
    expect(faults.take('GET', '/apis/batch/v1/namespaces/a/jobs')).toBeUndefined();
    expect(faults.take('POST', '/apis/batch/v1/namespaces/a/secrets')).toBeUndefined();
    expect(faults.take('POST', '/apis/batch/v1/namespaces/a/JOBS')).toMatchObject({ status: 503 });
    expect(faults.take('Post', '/apis/batch/v1/namespaces/a/jobs')).toMatchObject({ status: 503 });

    faults.clear();
    faults.add({ status: 500, count: 1 });
    expect(faults.take('DELETE', '/anything')).toMatchObject({ status: 500 });
  });

  it('fails exactly `count` calls, then stops matching', () => {
    const faults = new FaultInjector();
    faults.add({ status: 429, count: 2, retryAfterSeconds: 5 });
    expect(faults.pending).toBe(2);
    expect(faults.take('GET', '/a')).toEqual({ status: 429, count: 2, retryAfterSeconds: 5 });
    expect(faults.take('GET', '/a')).toMatchObject({ status: 429 });
    expect(faults.take('GET', '/a')).toBeUndefined();
    expect(faults.pending).toBe(0);
  });

  it('takes the first fault that matches, oldest first, each used up on its own', () => {
    const faults = new FaultInjector<{ code?: string }>();
    faults.add({ status: 500, count: 1, pathContains: '/groups/a', code: 'First' });
    faults.add({ status: 503, count: 1, code: 'Second' });
    expect(faults.take('GET', '/groups/b')?.code).toBe('Second');
    expect(faults.take('GET', '/groups/a')?.code).toBe('First');
    expect(faults.take('GET', '/groups/a')).toBeUndefined();
  });

  it('keeps its own copy, so a caller changing the object later changes nothing', () => {
    const faults = new FaultInjector();
    const fault = { status: 500, count: 1 };
    faults.add(fault);
    fault.status = 404;
    expect(faults.take('GET', '/')?.status).toBe(500);
  });

  it('refuses a malformed fault, naming the field', () => {
    const faults = new FaultInjector();
    const refusal = (fault: unknown) => {
      try {
        faults.add(fault as Fault);
      } catch (err) {
        return err instanceof InvalidFaultError ? { field: err.field, message: err.message } : err;
      }
      return undefined;
    };
    expect(refusal({ status: 200, count: 1 })).toMatchObject({ field: 'status', message: expect.stringContaining('400 to 599') as unknown });
    expect(refusal({ status: 600, count: 1 })).toMatchObject({ field: 'status' });
    expect(refusal({ status: '503', count: 1 })).toMatchObject({ field: 'status' });
    expect(refusal({ status: 503, count: 0 })).toMatchObject({ field: 'count', message: expect.stringContaining('positive integer') as unknown });
    expect(refusal({ status: 503, count: 1.5 })).toMatchObject({ field: 'count' });
    expect(refusal({ status: 503 })).toMatchObject({ field: 'count' });
    expect(refusal({ status: 503, count: 1, method: '' })).toMatchObject({ field: 'method' });
    expect(refusal({ status: 503, count: 1, pathContains: 42 })).toMatchObject({ field: 'pathContains' });
    expect(refusal({ status: 429, count: 1, retryAfterSeconds: -1 })).toMatchObject({ field: 'retryAfterSeconds' });
    expect(refusal(null)).toMatchObject({ field: 'fault' });
    expect(faults.pending).toBe(0);
  });
});

describe('matchesRequest', () => {
  it('is the rule holds use too: every given field must match', () => {
    expect(matchesRequest({}, 'GET', '/x')).toBe(true);
    expect(matchesRequest({ method: 'put' }, 'PUT', '/x')).toBe(true);
    expect(matchesRequest({ method: 'PUT', pathContains: 'GROUP-1' }, 'PUT', '/containerGroups/group-1')).toBe(true);
    expect(matchesRequest({ method: 'PUT', pathContains: 'group-1' }, 'GET', '/containerGroups/group-1')).toBe(false);
    expect(matchesRequest({ pathContains: 'group-2' }, 'PUT', '/containerGroups/group-1')).toBe(false);
  });
});
