// Unit tests of behaviour found by porting kustomize's own tests (api/krusty) into the differential corpus
// (test/fixtures/kustomize/krusty-*): each pins the pure rule the engine follows; the corpus checks whole builds
// against kubectl.
import { describe, expect, it } from 'vitest';

import { withDefaults } from '../../../main/kustomize/config.ts';
import { build, KustomizeError, MemoryFs } from '../../../main/kustomize/index.ts';

function names(files: Record<string, string>): string[] {
  return build(new MemoryFs(files), '.').objects.map((o) => `${o.kind}/${o.metadata.name}`);
}

describe('configurations merge with the defaults as kustomize merges them', () => {
  it('a custom metadata/name spec for one kind stands for the kind-less default', () => {
    const c = withDefaults({ namePrefix: [{ path: 'metadata/name', kind: 'Deployment' }] }, 'c.yaml');
    expect(c.namePrefix).toEqual([{ path: 'metadata/name', kind: 'Deployment' }]);
    // Other fields keep their defaults.
    expect(c.nameSuffix).toEqual([{ path: 'metadata/name' }]);
  });

  it('so only that kind is prefixed', () => {
    const got = names({
      'kustomization.yaml': 'namePrefix: p-\nresources: [r.yaml]\nconfigurations: [c.yaml]\n',
      'c.yaml': 'namePrefix:\n- path: metadata/name\n  kind: Deployment\n',
      'r.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n',
    });
    expect(got).toEqual(['ConfigMap/cm', 'Deployment/p-d']);
  });
});

describe('local configuration', () => {
  it('is dropped at the end of the build unless its annotation says "false"', () => {
    const res = (name: string, value: string): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  annotations: {config.kubernetes.io/local-config: "${value}"}\n`;
    const got = names({
      'kustomization.yaml': 'resources: [r.yaml]\n',
      'r.yaml': [res('a', 'true'), res('b', ''), res('c', 'false'), res('d', 'True')].join('---\n'),
    });
    expect(got).toEqual(['ConfigMap/c']);
  });
});

describe('RoleBinding subjects', () => {
  it('refuses a ServiceAccount subject whose namespace is left blank, naming the file', () => {
    const fs = new MemoryFs({
      'kustomization.yaml': 'resources: [rb.yaml]\n',
      'rb.yaml':
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb}\nroleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}\nsubjects:\n- kind: ServiceAccount\n  name: sa\n  namespace:\n',
    });
    let err: unknown;
    try {
      build(fs, '.');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KustomizeError);
    expect((err as KustomizeError).file).toBe('rb.yaml');
    expect((err as KustomizeError).message).toMatch(/namespace is blank/);
  });

  it('accepts a subject without a namespace key', () => {
    expect(
      names({
        'kustomization.yaml': 'resources: [rb.yaml]\n',
        'rb.yaml':
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb}\nroleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}\nsubjects:\n- {kind: ServiceAccount, name: sa}\n',
      }),
    ).toEqual(['RoleBinding/rb']);
  });
});

describe('the namespace transformer records every id, cluster-scoped ones too', () => {
  it('so a reference from an unsuffixed binding picks the unsuffixed ClusterRole of a diamond', () => {
    const base = {
      'base/kustomization.yaml': 'resources: [r.yaml]\n',
      'base/r.yaml':
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: viewer}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: viewer}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: viewer}\n',
    };
    const objs = build(
      new MemoryFs({
        ...base,
        'kustomization.yaml': 'namespace: ns\nresources: [a, b]\n',
        'a/kustomization.yaml': 'resources: [../base]\n',
        'b/kustomization.yaml': 'resources: [../base]\nnameSuffix: -b\n',
      }),
      '.',
    ).objects;
    const roleRefs = objs
      .filter((o) => o.kind === 'ClusterRoleBinding')
      .map((o) => `${o.metadata.name}->${(o as unknown as { roleRef: { name: string } }).roleRef.name}`);
    expect(roleRefs).toEqual(['viewer->viewer', 'viewer-b->viewer-b']);
  });
});
