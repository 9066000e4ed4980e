import { describe, expect, it } from 'vitest';

import { releasesUsing, valuesChanged } from '../../../../main/controllers/helmrelease/values-watch.ts';
import type { HelmRelease } from '../../../../main/flux/helm.ts';
import type { KubeObject } from '../../../../main/util/kube-object.ts';

const cm = (data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'values', namespace: 'apps', ...extra },
  data,
});

const hr = (name: string, namespace: string, refs: NonNullable<HelmRelease['spec']['valuesFrom']>): HelmRelease => ({
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name, namespace },
  spec: { interval: '5m', valuesFrom: refs },
});

describe('valuesFrom watch', () => {
  it('counts a change of data, not of metadata alone', () => {
    expect(valuesChanged({ type: 'modified', object: cm({ a: '2' }), old: cm({ a: '1' }) })).toBe(true);
    expect(
      valuesChanged({ type: 'modified', object: cm({ a: '1' }, { labels: { x: 'y' } }), old: cm({ a: '1' }) }),
    ).toBe(false);
    expect(valuesChanged({ type: 'deleted', object: cm({ a: '1' }) })).toBe(true);
  });

  it('finds the HelmReleases that name the object by kind and name, in its namespace only', () => {
    const releases = [
      hr('web', 'apps', [{ kind: 'ConfigMap', name: 'values' }]),
      hr('secret-user', 'apps', [{ kind: 'Secret', name: 'values' }]),
      hr('elsewhere', 'other', [{ kind: 'ConfigMap', name: 'values' }]),
      hr('none', 'apps', []),
    ];
    expect(releasesUsing(cm({}), releases)).toEqual([{ namespace: 'apps', name: 'web' }]);
  });
});
