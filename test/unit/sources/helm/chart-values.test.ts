import { describe, expect, it } from 'vitest';

import { mergeMaps, mergeValuesFiles, versionMetadata } from '../../../../main/sources/helm/chart-values.ts';

const files: Record<string, string> = {
  'values.yaml': 'image: {repo: app, tag: "1.0"}\nreplicas: 1\nlist: [a, b]\n',
  'prod.yaml': 'image: {tag: "2.0"}\nlist: [c]\nextra: true\n',
  'scalar.yaml': '- not a map\n',
  'empty.yaml': '',
};
const read = (p: string): Uint8Array | undefined => (p in files ? Buffer.from(files[p]!) : undefined);

describe('mergeMaps', () => {
  it('merges maps key by key and replaces everything else', () => {
    expect(mergeMaps({ a: { b: 1, c: 2 }, l: [1] }, { a: { c: 3 }, l: [2] })).toEqual({ a: { b: 1, c: 3 }, l: [2] });
    expect(mergeMaps({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
  });
});

describe('mergeValuesFiles', () => {
  it('merges in order, later files winning', () => {
    const merged = mergeValuesFiles(['values.yaml', 'prod.yaml', 'empty.yaml'], read, false);
    expect(merged.values).toEqual({ image: { repo: 'app', tag: '2.0' }, replicas: 1, list: ['c'], extra: true });
    expect(merged.used).toEqual(['values.yaml', 'prod.yaml', 'empty.yaml']);
  });

  it('fails on a missing file unless told to ignore it, and on a file that is not a map', () => {
    expect(() => mergeValuesFiles(['values.yaml', 'gone.yaml'], read, false)).toThrow(
      "no values file found at path 'gone.yaml'",
    );
    expect(mergeValuesFiles(['gone.yaml', 'prod.yaml'], read, true).used).toEqual(['prod.yaml']);
    expect(() => mergeValuesFiles(['scalar.yaml'], read, true)).toThrow(/scalar\.yaml/);
  });
});

describe('versionMetadata', () => {
  const base = { generation: 3, hasValuesFiles: false } as const;
  it('adds the short source revision for Revision strategy with Git and Bucket sources', () => {
    const sha = 'a'.repeat(12) + 'b'.repeat(28);
    expect(
      versionMetadata({
        ...base,
        strategy: 'Revision',
        sourceKind: 'GitRepository',
        sourceRevision: `main@sha1:${sha}`,
      }),
    ).toBe('aaaaaaaaaaaa');
    expect(
      versionMetadata({
        ...base,
        strategy: 'Revision',
        sourceKind: 'Bucket',
        sourceRevision: `sha256:${'c'.repeat(64)}`,
      }),
    ).toBe('cccccccccccc');
    expect(versionMetadata({ ...base, strategy: 'Revision', sourceKind: 'HelmRepository', sourceRevision: 'x' })).toBe(
      '',
    );
    expect(
      versionMetadata({
        ...base,
        strategy: 'ChartVersion',
        sourceKind: 'GitRepository',
        sourceRevision: `sha1:${sha}`,
      }),
    ).toBe('');
  });

  it('adds the generation when values files are set', () => {
    expect(
      versionMetadata({ strategy: undefined, sourceKind: 'HelmRepository', generation: 3, hasValuesFiles: true }),
    ).toBe('3');
    expect(
      versionMetadata({
        strategy: 'Revision',
        sourceKind: 'GitRepository',
        sourceRevision: `main@sha1:${'d'.repeat(40)}`,
        generation: 2,
        hasValuesFiles: true,
      }),
    ).toBe('dddddddddddd.2');
  });
});
