import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import type { HelmSnapshot } from '../../../main/flux/helm.ts';
import type { ReleaseInfo } from '../../../main/helm/index.ts';
import {
  historyRows,
  maskedManifest,
  testResults,
  testsPassed,
  valuesProvenance,
} from '../../../main/workbench/helm-release-view.ts';

const release = (version: number, status: ReleaseInfo['status'], extra: Partial<ReleaseInfo> = {}): ReleaseInfo => ({
  name: 'web',
  namespace: 'apps',
  version,
  status,
  chart: { name: 'hello', version: `1.${version}.0`, appVersion: '1.0' },
  lastDeployed: `2026-01-0${version}T10:00:00Z`,
  description: status === 'failed' ? 'Upgrade "web" failed: timed out' : 'Upgrade complete',
  hooks: [],
  config: { replicas: version },
  ...extra,
});

const snapshot = (version: number, status: string, extra: Partial<HelmSnapshot> = {}): HelmSnapshot => ({
  name: 'web',
  namespace: 'apps',
  version,
  status,
  chartName: 'hello',
  chartVersion: `1.${version}.0`,
  configDigest: `sha256:status${version}`,
  digest: 'sha256:d',
  firstDeployed: '2026-01-01T10:00:00Z',
  lastDeployed: `2026-01-0${version}T10:00:00Z`,
  ...extra,
});

const digest = (r: ReleaseInfo): string => `sha256:helm${r.version}`;

describe('HelmRelease history rows', () => {
  it('joins Helm’s records with status.history, newest first, the newest marked current', () => {
    const rows = historyRows(
      [snapshot(3, 'deployed'), snapshot(2, 'superseded')],
      [release(3, 'deployed'), release(2, 'failed'), release(1, 'superseded')],
      digest,
    );
    expect(rows.map((r) => [r.revision, r.chart, r.status, r.current, r.inStatus, r.inHelm])).toEqual([
      [3, 'hello@1.3.0', 'deployed', true, true, true],
      [2, 'hello@1.2.0', 'failed', false, true, true],
      [1, 'hello@1.1.0', 'superseded', false, false, true],
    ]);
    expect(rows[0]).toMatchObject({
      configDigest: 'sha256:helm3',
      deployed: '2026-01-03T10:00:00Z',
      appVersion: '1.0',
    });
    expect(rows[1]?.description).toContain('timed out');
  });

  it('falls back to status.history when Helm could not be read, leaving out a release the spec renamed', () => {
    const rows = historyRows(
      [snapshot(2, 'deployed'), snapshot(1, 'superseded'), snapshot(4, 'deployed', { name: 'old-name' })],
      undefined,
      digest,
    );
    expect(rows.map((r) => [r.revision, r.configDigest, r.inHelm, r.current])).toEqual([
      [2, 'sha256:status2', false, true],
      [1, 'sha256:status1', false, false],
    ]);
    expect(historyRows(undefined, [], digest)).toEqual([]);
  });
});

describe('values provenance', () => {
  const sources: Record<string, Record<string, string>> = {
    'ConfigMap/base': { 'values.yaml': 'replicas: 2\nimage:\n  tag: "1.0"\n  repository: web\n' },
    'Secret/creds': { 'values.yaml': 'db:\n  password: hunter2\n', token: 's3cr3t-token' },
    'ConfigMap/empty': {},
  };
  const source = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined =>
    sources[`${kind}/${name}`];
  const parseYaml = (text: string): unknown => parse(text) as unknown;

  it('says where each top-level key came from, in Flux’s merge order, with the merged value', () => {
    const { entries, problems } = valuesProvenance(
      {
        valuesFrom: [{ kind: 'ConfigMap', name: 'base' }],
        values: { replicas: 3, image: { tag: '2.0' }, color: 'blue' },
      },
      source,
      parseYaml,
    );
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.key, e.origins.map((o) => o.type), e.masked])).toEqual([
      ['color', ['values'], false],
      ['image', ['ConfigMap', 'values'], false],
      ['replicas', ['ConfigMap', 'values'], false],
    ]);
    // spec.values wins, maps merge key by key.
    expect(parse(entries.find((e) => e.key === 'image')?.yaml ?? '')).toEqual({ tag: '2.0', repository: 'web' });
    expect(entries.find((e) => e.key === 'replicas')?.yaml).toBe('3');
    expect(entries[1]?.origins[0]).toEqual({
      type: 'ConfigMap',
      name: 'base',
      valuesKey: 'values.yaml',
      optional: false,
    });
  });

  it('never carries a value a Secret contributed to, even merged with other sources or set by targetPath', () => {
    const result = valuesProvenance(
      {
        valuesFrom: [
          { kind: 'Secret', name: 'creds' },
          { kind: 'Secret', name: 'creds', valuesKey: 'token', targetPath: 'auth.token' },
        ],
        values: { db: { host: 'db.local' } },
      },
      source,
      parseYaml,
    );
    expect(result.entries.map((e) => [e.key, e.masked, e.yaml])).toEqual([
      ['auth', true, undefined],
      ['db', true, undefined],
    ]);
    expect(result.entries[0]?.origins).toEqual([
      { type: 'Secret', name: 'creds', valuesKey: 'token', targetPath: 'auth.token', optional: false },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|s3cr3t-token/);
  });

  it('lists a missing reference or key as a problem, skips an optional one, and keeps the rest', () => {
    const { entries, problems } = valuesProvenance(
      {
        valuesFrom: [
          { kind: 'ConfigMap', name: 'gone' },
          { kind: 'ConfigMap', name: 'empty' },
          { kind: 'ConfigMap', name: 'gone-too', optional: true },
          { kind: 'Secret', name: 'creds', valuesKey: 'token' },
        ],
        values: { color: 'red' },
      },
      source,
      parseYaml,
    );
    expect(problems.map((p) => p.message)).toEqual([
      'ConfigMap gone not found',
      "key 'values.yaml' not found",
      // A Secret's text is never quoted, not even in a parse error.
      'could not read the values: it is not a YAML map of values',
    ]);
    expect(JSON.stringify(problems)).not.toContain('s3cr3t-token');
    expect(entries.map((e) => e.key)).toEqual(['color']);
  });
});

describe('test results', () => {
  const hook = (name: string, phase?: 'Succeeded' | 'Failed') => ({
    name,
    kind: 'Pod',
    path: `templates/tests/${name}.yaml`,
    events: ['test'],
    weight: 0,
    ...(phase && { lastRun: { phase, startedAt: '2026-01-03T10:00:00Z', completedAt: '2026-01-03T10:00:05Z' } }),
  });

  it('prefers the hooks’ last runs in Helm’s record, else helm-controller’s snapshot', () => {
    const rel = release(3, 'deployed', {
      hooks: [hook('ping', 'Succeeded'), hook('db', 'Failed'), { ...hook('install'), events: ['post-install'] }],
    });
    expect(testResults(snapshot(3, 'deployed'), rel)).toEqual({
      revision: 3,
      from: 'helm',
      results: [
        { name: 'ping', phase: 'Succeeded', started: '2026-01-03T10:00:00Z', completed: '2026-01-03T10:00:05Z' },
        { name: 'db', phase: 'Failed', started: '2026-01-03T10:00:00Z', completed: '2026-01-03T10:00:05Z' },
      ],
    });
    expect(testsPassed(rel)).toEqual({ passed: false, failed: ['db'], count: 2 });
    const fromStatus = testResults(
      snapshot(2, 'deployed', { testHooks: { ping: { phase: 'Succeeded', lastCompleted: 't' } } }),
      release(2, 'deployed', { hooks: [hook('ping')] }),
    );
    expect(fromStatus).toEqual({
      revision: 2,
      from: 'status',
      results: [{ name: 'ping', phase: 'Succeeded', completed: 't' }],
    });
    expect(testResults(undefined, undefined)).toEqual({ from: 'none', results: [] });
    expect(testsPassed(release(1, 'deployed'))).toEqual({ passed: true, failed: [], count: 0 });
  });
});

describe('rollback preview manifests', () => {
  it('masks Secret values and orders documents so both revisions line up', () => {
    const manifest = `---
# Source: hello/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: web-creds
stringData:
  password: hunter2
data:
  token: czNjcjN0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
`;
    const out = maskedManifest(manifest);
    expect(out).not.toMatch(/hunter2|czNjcjN0/);
    expect(out.indexOf('# Deployment//web')).toBeLessThan(out.indexOf('# Secret//web-creds'));
    expect(out).toContain('password: "***"');
    expect(out).toContain('replicas: 2');
  });
});
