import { describe, expect, it } from 'vitest';

import { checkDependencies, dependentsOf, findCycle } from '../../../../main/controllers/kustomization/dependencies.ts';
import type { Kustomization } from '../../../../main/flux/kustomize.ts';

function ks(
  name: string,
  opts: {
    dependsOn?: string[];
    source?: string;
    ready?: boolean;
    applied?: string;
    generation?: number;
    observed?: number;
  } = {},
): Kustomization {
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'flux-system', generation: opts.generation ?? 1 },
    spec: {
      interval: '1m',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: opts.source ?? 'repo' },
      ...(opts.dependsOn ? { dependsOn: opts.dependsOn.map((d) => ({ name: d })) } : {}),
    },
    status: {
      observedGeneration: opts.observed ?? 1,
      lastAppliedRevision: opts.applied ?? 'main@sha1:aaa',
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? 'ReconciliationSucceeded' : 'BuildFailed',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  };
}

const lookupOf =
  (...all: Kustomization[]) =>
  (namespace: string, name: string): Kustomization | undefined =>
    all.find((k) => k.metadata.namespace === namespace && k.metadata.name === name);

describe('checkDependencies', () => {
  it('is ready when every dependency is Ready at its generation and applied the same revision', () => {
    const infra = ks('infra');
    expect(checkDependencies(ks('apps', { dependsOn: ['infra'] }), lookupOf(infra), 'main@sha1:aaa')).toEqual({
      ready: true,
    });
  });

  it.each<[string, Kustomization[], string]>([
    ['missing', [], "dependency 'flux-system/infra' not found"],
    ['not ready', [ks('infra', { ready: false })], "dependency 'flux-system/infra' is not ready"],
    ['stale generation', [ks('infra', { generation: 2, observed: 1 })], "dependency 'flux-system/infra' is not ready"],
    [
      'same source, older revision',
      [ks('infra', { applied: 'main@sha1:old' })],
      "dependency 'flux-system/infra' revision is not up to date",
    ],
  ])('reports a dependency that is %s', (_n, deps, message) => {
    expect(checkDependencies(ks('apps', { dependsOn: ['infra'] }), lookupOf(...deps), 'main@sha1:aaa')).toEqual({
      ready: false,
      message,
    });
  });

  it('does not compare revisions across different sources', () => {
    const infra = ks('infra', { source: 'other', applied: 'main@sha1:zzz' });
    expect(checkDependencies(ks('apps', { dependsOn: ['infra'] }), lookupOf(infra), 'main@sha1:aaa')).toEqual({
      ready: true,
    });
  });

  it('names a dependency cycle', () => {
    const a = ks('a', { dependsOn: ['b'] });
    const b = ks('b', { dependsOn: ['c'] });
    const c = ks('c', { dependsOn: ['a'] });
    const result = checkDependencies(a, lookupOf(a, b, c), 'main@sha1:aaa');
    expect(result).toMatchObject({
      ready: false,
      cycle: ['flux-system/a', 'flux-system/b', 'flux-system/c', 'flux-system/a'],
    });
    expect(findCycle(ks('d', { dependsOn: ['a'] }), lookupOf(a, b, c))).toBeUndefined();
  });
});

describe('dependentsOf', () => {
  it('finds the Kustomizations that depend on one', () => {
    const all = [
      ks('infra'),
      ks('apps', { dependsOn: ['infra'] }),
      ks('monitoring', { dependsOn: ['apps', 'infra'] }),
      ks('solo'),
    ];
    expect(dependentsOf(all[0]!, all).map((k) => k.metadata.name)).toEqual(['apps', 'monitoring']);
  });
});
