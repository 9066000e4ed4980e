// Patches and the resource id history: a targeted patch keeps its target's apiVersion, kind and name unless its
// options allow a change; target fields are anchored regular expressions; and later patches find a resource by any
// identity it has had (kustomize's ResId + PrevIds). Expected values follow kustomize's api/krusty tests
// (gvknpatch_test.go) and were checked against `kubectl kustomize`.
import { describe, expect, it } from 'vitest';

import { build, KustomizeError, MemoryFs } from '../../../main/kustomize/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

function run(files: Record<string, string>, dir = '.'): KubeObject[] {
  return build(new MemoryFs(files), dir).objects;
}

const ids = (objs: KubeObject[]): string[] => objs.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`);

const RESOURCES = `
apiVersion: v1
kind: Service
metadata: {name: busybox}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: busybox}
spec: {replicas: 1}
`;

describe('targeted strategic merge patches', () => {
  it("keep each target's apiVersion, kind and name whatever the patch body says", () => {
    const out = run({
      'r.yaml': RESOURCES,
      'kustomization.yaml': `
resources: [r.yaml]
patches:
- target: {name: busybox}
  patch: |
    apiVersion: batch/v1
    kind: Job
    metadata: {name: other, labels: {patched: "yes"}}
`,
    });
    expect(ids(out)).toEqual(['v1 Service busybox', 'apps/v1 Deployment busybox']);
    expect(out.map((o) => o.metadata.labels)).toEqual([{ patched: 'yes' }, { patched: 'yes' }]);
  });

  it('change the kind or name only when options allow it, and keep the apiVersion', () => {
    const out = run({
      'r.yaml': RESOURCES,
      'kustomization.yaml': `
resources: [r.yaml]
patches:
- target: {kind: Deployment}
  options: {allowKindChange: true, allowNameChange: true}
  patch: |
    apiVersion: v1
    kind: StatefulSet
    metadata: {name: renamed}
`,
    });
    expect(ids(out)).toContain('apps/v1 StatefulSet renamed');
  });

  it('select kinds, groups and names by anchored regular expressions', () => {
    const files = (target: string): Record<string, string> => ({
      'r.yaml': RESOURCES,
      'kustomization.yaml': `
resources: [r.yaml]
patches:
- target: ${target}
  patch: |
    kind: placeholder
    metadata: {name: placeholder, annotations: {hit: "yes"}}
`,
    });
    const hits = (target: string): string[] =>
      run(files(target))
        .filter((o) => o.metadata.annotations?.hit === 'yes')
        .map((o) => o.kind);
    expect(hits('{kind: (Deployment|Service)}')).toEqual(['Service', 'Deployment']);
    expect(hits('{kind: Deploy}')).toEqual([]);
    expect(hits('{kind: Deploy.*}')).toEqual(['Deployment']);
    expect(hits('{group: apps, name: "b.*x"}')).toEqual(['Deployment']);
    expect(hits('{version: v1, group: ""}')).toEqual(['Service', 'Deployment']);
  });
});

describe('the id history', () => {
  const base = {
    'base/d.yaml': `
apiVersion: v1
kind: Deployment
metadata: {name: old-name}
spec: {template: {spec: {containers: [{name: nginx, image: nginx}]}}}
`,
    'base/kustomization.yaml': `
resources: [d.yaml]
patches:
- target: {kind: Deployment}
  options: {allowNameChange: true, allowKindChange: true}
  patch: |
    apiVersion: v1
    kind: StatefulSet
    metadata: {name: new-name}
`,
  };

  it('lets a later patch name a resource by its original kind and name, after a prefix too', () => {
    const out = run(
      {
        ...base,
        'overlay/kustomization.yaml': 'resources: [../base]\nnamePrefix: p-\npatches: [{path: p.yaml}]\n',
        'overlay/p.yaml': 'apiVersion: v1\nkind: Deployment\nmetadata: {name: old-name}\nspec: {replicas: 999}\n',
      },
      'overlay',
    );
    expect(ids(out)).toEqual(['v1 StatefulSet p-new-name']);
    expect((out[0]?.spec as { replicas: number }).replicas).toBe(999);
  });

  it('refuses a kind and name the resource never had together', () => {
    expect(() =>
      run(
        {
          ...base,
          'overlay/kustomization.yaml': 'resources: [../base]\npatches: [{path: p.yaml}]\n',
          'overlay/p.yaml': 'apiVersion: v1\nkind: Deployment\nmetadata: {name: new-name}\nspec: {replicas: 1}\n',
        },
        'overlay',
      ),
    ).toThrow(KustomizeError);
  });

  it('records a kind changed by a JSON 6902 patch, so references still follow a prefix', () => {
    const out = run({
      'r.yaml': `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: foo}
spec: {template: {spec: {volumes: [{name: v, configMap: {name: cm}}]}}}
`,
      'kustomization.yaml': `
namePrefix: foo-
resources: [r.yaml]
patches:
- target: {group: apps, version: v1, name: foo}
  patch: '[{op: replace, path: /kind, value: Deployment}]'
`,
    });
    expect(ids(out)).toEqual(['v1 ConfigMap foo-cm', 'apps/v1 Deployment foo-foo']);
    expect(JSON.stringify(out[1]?.spec)).toContain('"name":"foo-cm"');
  });
});
