import { describe, expect, it } from 'vitest';

import {
  chartDownloadURL,
  type ChartIndexError,
  indexRevision,
  parseIndex,
  selectChartVersion,
  withVersionMetadata,
} from '../../../../main/sources/helm/chart-index.ts';

const INDEX = `apiVersion: v1
entries:
  app:
    - { name: app, version: 1.0.0, urls: [charts/app-1.0.0.tgz], created: "2026-01-01T00:00:00Z" }
    - { name: app, version: 1.2.0, urls: [charts/app-1.2.0.tgz] }
    - { name: app, version: 2.0.0-rc.1, urls: [charts/app-2.0.0-rc.1.tgz] }
    - { name: app, version: 1.1.0, urls: [https://cdn.example.com/app-1.1.0.tgz] }
    - { name: app, version: 1.3.0 }
    - { name: app, version: 1.0.0+b, urls: [charts/app-1.0.0+b.tgz], created: "2026-02-01T00:00:00Z" }
  empty: []
generated: "2026-01-01T00:00:00Z"
`;

const failure = (fn: () => unknown): ChartIndexError => {
  try {
    fn();
  } catch (err) {
    return err as ChartIndexError;
  }
  throw new Error('expected a failure');
};

describe('parseIndex', () => {
  it('keeps valid entries only, newest first', () => {
    const index = parseIndex(INDEX);
    expect(index.entries.app?.map((v) => v.version)).toEqual(['2.0.0-rc.1', '1.2.0', '1.1.0', '1.0.0', '1.0.0+b']);
  });

  it('refuses an index without apiVersion, or that is not YAML', () => {
    expect(failure(() => parseIndex('entries: {}\n')).message).toBe('no API version specified');
    expect(failure(() => parseIndex('apiVersion: [\n')).code).toBe('IndexInvalid');
    expect(failure(() => parseIndex('')).code).toBe('IndexInvalid');
  });

  it('reads back the JSON Flux stores as the artifact', () => {
    const index = parseIndex(INDEX);
    expect(parseIndex(JSON.stringify(index, null, 2))).toEqual(index);
  });
});

describe('selectChartVersion', () => {
  const index = parseIndex(INDEX);

  it('takes the latest stable version when no range is given, and the highest in a range', () => {
    expect(selectChartVersion(index, 'app', undefined).version).toBe('1.2.0');
    expect(selectChartVersion(index, 'app', '*').version).toBe('1.2.0');
    expect(selectChartVersion(index, 'app', '<1.2.0').version).toBe('1.1.0');
    expect(selectChartVersion(index, 'app', '>=1.0.0-0').version).toBe('2.0.0-rc.1');
    expect(selectChartVersion(index, 'app', '1.1').version).toBe('1.1.0');
  });

  it('prefers an exact version string, and orders equal versions by creation time', () => {
    expect(selectChartVersion(index, 'app', '1.0.0+b').version).toBe('1.0.0+b');
    expect(selectChartVersion(index, 'app', '~1.0.0').version).toBe('1.0.0+b');
  });

  it('says what is missing', () => {
    expect(failure(() => selectChartVersion(index, 'nope', '*')).code).toBe('NoChart');
    expect(failure(() => selectChartVersion(index, 'empty', '*')).code).toBe('NoVersion');
    const none = failure(() => selectChartVersion(index, 'app', '>=5.0.0'));
    expect(none.message).toBe("no 'app' chart with version matching '>=5.0.0' found");
    expect(failure(() => selectChartVersion(index, 'app', '>=>1')).code).toBe('BadRange');
  });
});

describe('revisions and URLs', () => {
  it('is the sha256 of the bytes as downloaded', () => {
    expect(indexRevision(Buffer.from('abc'))).toBe(
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('resolves relative chart URLs against the repository URL as a directory', () => {
    const index = parseIndex(INDEX);
    const v = selectChartVersion(index, 'app', '1.2.0');
    expect(chartDownloadURL('https://h.example/charts', v)).toBe('https://h.example/charts/charts/app-1.2.0.tgz');
    expect(chartDownloadURL('https://h.example/charts/', v)).toBe('https://h.example/charts/charts/app-1.2.0.tgz');
    const abs = selectChartVersion(index, 'app', '1.1.0');
    expect(chartDownloadURL('https://h.example/charts', abs)).toBe('https://cdn.example.com/app-1.1.0.tgz');
  });

  it('sets build metadata, replacing any the version had', () => {
    expect(withVersionMetadata('1.2.3', 'abc123.4')).toBe('1.2.3+abc123.4');
    expect(withVersionMetadata('1.2.3+old', 'new')).toBe('1.2.3+new');
    expect(withVersionMetadata('1.2.3', '')).toBe('1.2.3');
    expect(() => withVersionMetadata('not-semver', 'x')).toThrow(/SemVer/);
  });
});
