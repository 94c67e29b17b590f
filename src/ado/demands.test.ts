import { describe, expect, it } from 'vitest';
import { compareVersions, parseDemand } from './demands';

describe('parseDemand', () => {
  it.each([
    ['docker', { kind: 'exists', name: 'docker' }],
    ['Agent.OS -equals Linux', { kind: 'equals', name: 'Agent.OS', value: 'Linux' }],
    ['Agent.OS -EQUALS Windows_NT', { kind: 'equals', name: 'Agent.OS', value: 'Windows_NT' }],
    ['Agent.Version -gtVersion 2.182.1', { kind: 'gtVersion', name: 'Agent.Version', value: '2.182.1' }],
    ['  maven  ', { kind: 'exists', name: 'maven' }],
    ['ImageOverride -equals ubuntu 22.04', { kind: 'equals', name: 'ImageOverride', value: 'ubuntu 22.04' }],
    ['Agent.Name -startsWith foo', { kind: 'unsupported', raw: 'Agent.Name -startsWith foo' }],
  ])('%s', (raw, expected) => {
    expect(parseDemand(raw)).toEqual(expected);
  });
});

describe('compareVersions', () => {
  it.each([
    ['2.210.1', '2.182.1', 1],
    ['2.182.1', '2.210.1', -1],
    ['4.0', '4.0.0', 0],
    ['10.0.0', '9.99.99', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(compareVersions(a, b)).toBe(sign);
  });
});
