import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  composeValues,
  digestValues,
  mergeMaps,
  parseSetPath,
  replacePathValue,
  type ValuesSource,
} from '../../../../main/controllers/helmrelease/values.ts';
import { helmReleaseName } from '../../../../main/flux/helm.ts';

const sources =
  (objects: Record<string, Record<string, string>>): ValuesSource =>
  (kind, name) =>
    objects[`${kind}/${name}`];

describe('values', () => {
  it('merges maps deeply, the overlay winning for anything that is not a map', () => {
    expect(mergeMaps({ a: { b: 1, c: [1] }, d: 'x' }, { a: { c: [2], e: true }, d: { f: 1 } })).toEqual({
      a: { b: 1, c: [2], e: true },
      d: { f: 1 },
    });
  });

  it('composes valuesFrom in order, then the inline values on top', () => {
    const values = composeValues(
      {
        valuesFrom: [
          { kind: 'ConfigMap', name: 'base' },
          { kind: 'Secret', name: 'creds', valuesKey: 'extra.yaml' },
          { kind: 'Secret', name: 'creds', valuesKey: 'token', targetPath: 'auth.token' },
          { kind: 'ConfigMap', name: 'gone', optional: true },
          { kind: 'ConfigMap', name: 'base', valuesKey: 'nokey', optional: true },
        ],
        values: { image: { tag: 'inline' } },
      },
      'apps',
      sources({
        'ConfigMap/base': { 'values.yaml': 'image:\n  repo: nginx\n  tag: "1.0"\nreplicas: 1\n' },
        'Secret/creds': { 'extra.yaml': 'replicas: 3\n', token: 'abc' },
      }),
      parse,
    );
    expect(values).toEqual({ image: { repo: 'nginx', tag: 'inline' }, replicas: 3, auth: { token: 'abc' } });
  });

  it("names the reference in helm-controller's words when it cannot be resolved", () => {
    const compose = (ref: Parameters<typeof composeValues>[0]): unknown =>
      composeValues(ref, 'apps', sources({ 'ConfigMap/cm': { other: 'x' } }), parse);
    expect(() => compose({ valuesFrom: [{ kind: 'Secret', name: 'nope' }] })).toThrow(
      "could not resolve Secret chart values reference 'apps/nope' with key 'values.yaml': resource not found",
    );
    expect(() => compose({ valuesFrom: [{ kind: 'ConfigMap', name: 'cm' }] })).toThrow(
      "could not resolve ConfigMap chart values reference 'apps/cm' with key 'values.yaml': key not found",
    );
  });

  it('sets values at --set paths, typed as Helm types them unless quoted', () => {
    expect(parseSetPath('a.b\\.c[1].d')).toEqual([{ key: 'a' }, { key: 'b.c' }, { index: 1 }, { key: 'd' }]);
    expect(replacePathValue({ a: { keep: 1 } }, 'a.n', '42')).toEqual({ a: { keep: 1, n: 42 } });
    expect(replacePathValue({}, 'a.flag', 'true')).toEqual({ a: { flag: true } });
    expect(replacePathValue({}, 'a.s', '"42"')).toEqual({ a: { s: '42' } });
    expect(replacePathValue({}, 'a.zip', '0123')).toEqual({ a: { zip: '0123' } });
    expect(replacePathValue({}, 'list[1]', 'x')).toEqual({ list: [null, 'x'] });
  });

  it("digests values exactly as helm-controller's chartutil.DigestValues (its own test vectors)", () => {
    expect(digestValues({})).toBe('sha256:ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356');
    expect(digestValues({ foo: 'bar', baz: { cool: 'stuff' } })).toBe(
      'sha256:3f3641788a2d4abda3534eaa90c90b54916e4c6e3a5b2e1b24758b7bfa701ecd',
    );
  });
});

describe('release name', () => {
  const hr = (
    name: string,
    spec: { releaseName?: string; targetNamespace?: string } = {},
  ): Parameters<typeof helmReleaseName>[0] => ({
    metadata: { name, namespace: 'default' },
    spec,
  });

  it('is [targetNamespace-]name, or spec.releaseName', () => {
    expect(helmReleaseName(hr('web'))).toBe('web');
    expect(helmReleaseName(hr('web', { targetNamespace: 'prod' }))).toBe('prod-web');
    expect(helmReleaseName(hr('web', { releaseName: 'mine', targetNamespace: 'prod' }))).toBe('mine');
  });

  it('shortens names over 53 characters to 40 characters, a dash and 12 hex digits of their sha256', () => {
    const long = helmReleaseName(
      hr('a-very-long-helmrelease-name-that-goes-on', { targetNamespace: 'some-long-namespace' }),
    );
    // sha256("some-long-namespace-a-very-long-helmrelease-name-that-goes-on")
    expect(long).toMatch(/^some-long-namespace-a-very-long-helmrele-[0-9a-f]{12}$/);
    expect(long).toHaveLength(53);
    expect(helmReleaseName(hr('x'.repeat(53)))).toBe('x'.repeat(53));
  });
});
