// Replacements select resources the way kustomize's replacement filter does: exact ids matched against every id a
// resource has had (before prefixes, suffixes and kind changes), rejects by id or labels, and a copied scalar takes
// the type of the field it lands in. Checked against `kubectl kustomize` (fixture replacements-id-history).
import { describe, expect, it } from 'vitest';

import { build, KustomizeError, MemoryFs } from '../../../main/kustomize/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const RESOURCES = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {port: "8080", replicas: "3"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  template: {metadata: {annotations: {port: "1"}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {skip: "yes"}}
spec: {ports: [{port: 1, targetPort: http}]}
`;

function run(replacements: string): KubeObject[] {
  const fs = new MemoryFs({
    'base/r.yaml': RESOURCES,
    'base/kustomization.yaml': 'resources: [r.yaml]\nnamePrefix: base-\n',
    'kustomization.yaml': `resources: [base]\nreplacements:\n${replacements}`,
  });
  return build(fs, '.').objects;
}

const find = (objs: KubeObject[], kind: string): Record<string, unknown> =>
  objs.find((o) => o.kind === kind) as unknown as Record<string, unknown>;

describe('replacements', () => {
  it('find sources and targets by their names before a prefix, and by their current names', () => {
    const out = run(`
- source: {kind: ConfigMap, name: settings, fieldPath: data.replicas}
  targets:
  - select: {kind: Deployment, name: base-web}
    fieldPaths: [spec.replicas]
`);
    expect(find(out, 'Deployment').spec).toMatchObject({ replicas: 3 });
  });

  it("keep the target field's type: strings stay strings, numbers stay numbers", () => {
    const out = run(`
- source: {kind: ConfigMap, name: settings, fieldPath: data.port}
  targets:
  - select: {kind: Service, name: web}
    fieldPaths: [spec.ports.0.port, spec.ports.0.targetPort]
  - select: {kind: Deployment}
    fieldPaths: [spec.template.metadata.annotations.port]
`);
    expect(find(out, 'Service').spec).toEqual({ ports: [{ port: 8080, targetPort: '8080' }] });
    expect(find(out, 'Deployment').spec).toMatchObject({ template: { metadata: { annotations: { port: '8080' } } } });
  });

  it('match names exactly (not as regular expressions) and honour rejects by id and by label', () => {
    const out = run(`
- source: {kind: ConfigMap, name: settings, fieldPath: data.port}
  targets:
  - select: {name: "we.*"}
    fieldPaths: [spec.replicas]
  - select: {name: web}
    reject: [{kind: Deployment}, {labelSelector: skip=yes}]
    fieldPaths: [spec.replicas]
`);
    expect(find(out, 'Deployment').spec).toMatchObject({ replicas: 1 });
    expect(find(out, 'Service').spec).toEqual({ ports: [{ port: 1, targetPort: 'http' }] });
  });

  it('refuse a target without a select', () => {
    expect(() =>
      run(`
- source: {kind: ConfigMap, name: settings}
  targets:
  - fieldPaths: [spec.replicas]
`),
    ).toThrow(KustomizeError);
  });
});
