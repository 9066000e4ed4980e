// Smaller fidelity items of issue 14, each checked against `kubectl kustomize` (fixtures empty-generators,
// no-apiversion, namespace-kind-group, error-label-values-not-strings): empty generators, objects without an
// apiVersion, the group of kind Namespace, and label maps that must hold strings.
import { describe, expect, it } from 'vitest';

import { build, KustomizeError, MemoryFs } from '../../../main/kustomize/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

function run(files: Record<string, string>): KubeObject[] {
  return build(new MemoryFs(files), '.').objects;
}

describe('kustomize decoding and output details', () => {
  it('hashes an empty ConfigMap as kustomize does and gives an empty Secret `data: {}`', () => {
    const out = run({ 'kustomization.yaml': 'configMapGenerator: [{name: e}]\nsecretGenerator: [{name: s}]\n' });
    expect(out.map((o) => o.metadata.name)).toEqual(['e-6ct58987ht', 's-46f8b28mk5']);
    expect(out[0]).not.toHaveProperty('data');
    expect(out[1]?.data).toEqual({});
  });

  it('does not add an apiVersion the input did not have', () => {
    const out = run({
      'r.yaml': 'kind: Thing\nmetadata: {name: t}\n',
      'kustomization.yaml': 'resources: [r.yaml]\nnamePrefix: p-\n',
    });
    expect(out).toEqual([{ kind: 'Thing', metadata: { name: 'p-t' } }]);
  });

  it('renames only the core Namespace; a Namespace kind of another group is namespaced, and sorts after it', () => {
    const out = run({
      'r.yaml': `
apiVersion: example.com/v1
kind: Namespace
metadata: {name: custom}
---
apiVersion: v1
kind: Namespace
metadata: {name: old}
`,
      'kustomization.yaml': 'resources: [r.yaml]\nnamespace: target\n',
    });
    expect(out.map((o) => o.metadata)).toEqual([{ name: 'target' }, { name: 'custom', namespace: 'target' }]);
  });

  it('refuses numbers and booleans as label or annotation values in the kustomization', () => {
    for (const k of [
      'commonLabels: {port: 8080}',
      'commonAnnotations: {enabled: true}',
      'labels: [{pairs: {tier: 2}}]',
    ]) {
      expect(() =>
        run({ 'r.yaml': 'kind: A\nmetadata: {name: a}\n', 'kustomization.yaml': `resources: [r.yaml]\n${k}\n` }),
      ).toThrow(KustomizeError);
    }
  });
});

describe('kustomization decoding and validation', () => {
  const R = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n';

  it('matches field names case-insensitively and lets a repeated key take its last value', () => {
    const out = run({
      'r.yaml': R,
      'kustomization.yaml': 'Resources: [r.yaml]\nnameprefix: p-\nnamespace: a\nnamespace: b\n',
    });
    expect(out[0]?.metadata).toEqual({ name: 'p-cm', namespace: 'b' });
  });

  it('refuses a generator whose name a resource already answers to, even after a prefix', () => {
    expect(() =>
      run({
        'b/r.yaml': R,
        'b/kustomization.yaml': 'namePrefix: b-\nresources: [r.yaml]\n',
        'kustomization.yaml': 'resources: [b]\nconfigMapGenerator: [{name: cm, literals: [x=y]}]\n',
      }),
    ).toThrow(/behavior must be merge or replace/);
  });

  it('refuses an empty or comment-only patch and legacy sort options with the fifo order', () => {
    expect(() =>
      run({
        'r.yaml': R,
        'p.yaml': '# nothing\n',
        'kustomization.yaml': 'resources: [r.yaml]\npatches: [{path: p.yaml}]\n',
      }),
    ).toThrow(KustomizeError);
    expect(() =>
      run({
        'r.yaml': R,
        'kustomization.yaml':
          'resources: [r.yaml]\nsortOptions: {order: fifo, legacySortOptions: {orderFirst: [ConfigMap]}}\n',
      }),
    ).toThrow(/fifo/);
  });
});

describe('env files', () => {
  it('give a bare KEY line an empty value instead of reading the environment', () => {
    const out = run({
      'e.env': 'A=1\nHOME\n',
      'kustomization.yaml': 'configMapGenerator: [{name: c, envs: [e.env], options: {disableNameSuffixHash: true}}]\n',
    });
    expect(out[0]?.data).toEqual({ A: '1', HOME: '' });
  });
});
