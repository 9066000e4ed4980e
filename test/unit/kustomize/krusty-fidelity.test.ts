// Unit tests of behaviour found by porting kustomize's own tests (api/krusty) into the differential corpus
// (test/fixtures/kustomize/krusty-*): each pins the pure rule the engine follows; the corpus checks whole builds
// against kubectl.
import { describe, expect, it } from 'vitest';

import { withDefaults } from '../../../main/kustomize/config.ts';
import { build, KustomizeError, MemoryFs, toYaml } from '../../../main/kustomize/index.ts';

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

describe('whole floats print as kubectl prints them after its JSON round trip', () => {
  it('as integers while they fit int64 or uint64, as Go floats beyond', () => {
    expect(toYaml({ a: Number('12345678901234567890'), b: 2 ** 64, c: -(2 ** 63), d: 1.5e20, e: 1e6 })).toBe(
      'a: 12345678901234567000\nb: 1.8446744073709552e+19\nc: -9.223372036854776e+18\nd: 1.5e+20\ne: 1000000\n',
    );
  });
});

describe('validations kustomize makes', () => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';
  const fails = (files: Record<string, string>): KustomizeError => {
    try {
      build(new MemoryFs(files), '.');
    } catch (e) {
      if (e instanceof KustomizeError) return e;
      throw e;
    }
    throw new Error('the build succeeded');
  };

  it('a Component must say apiVersion kustomize.config.k8s.io/v1alpha1, a Kustomization v1beta1', () => {
    const err = fails({
      'kustomization.yaml': 'resources: [r.yaml]\ncomponents: [c]\n',
      'r.yaml': cm,
      'c/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\nnamePrefix: c-\n',
    });
    expect(err.file).toBe('c/kustomization.yaml');
    expect(err.message).toMatch(/apiVersion for Component should be kustomize.config.k8s.io\/v1alpha1/);
    expect(
      fails({
        'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nresources: [r.yaml]\n',
        'r.yaml': cm,
      }).message,
    ).toMatch(/apiVersion for Kustomization should be kustomize.config.k8s.io\/v1beta1/);
  });

  it('a strategic merge patch may not have a field with an empty name, at any depth', () => {
    const err = fails({
      'kustomization.yaml': 'resources: [r.yaml]\npatches:\n- path: p.yaml\n',
      'r.yaml': cm,
      'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  b: {"": x}\n',
    });
    expect(err.file).toBe('p.yaml');
    expect(err.message).toMatch(/empty name/);
  });
});

describe('generator merge and replace keep the merging generator object', () => {
  it('its Secret type and its immutable (or none) win; old data and labels stay under its own on merge', () => {
    const objs = build(
      new MemoryFs({
        'base/kustomization.yaml':
          'secretGenerator:\n- name: s\n  type: kubernetes.io/basic-auth\n  literals: [username=a, password=b]\n  options: {disableNameSuffixHash: true, immutable: true, labels: {old: "1"}}\n',
        'kustomization.yaml':
          'resources: [base]\nsecretGenerator:\n- name: s\n  behavior: merge\n  literals: [password=c]\n',
      }),
      '.',
    ).objects;
    expect(objs).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', labels: { old: '1' } },
        type: 'Opaque',
        data: { username: 'YQ==', password: 'Yw==' },
      },
    ]);
  });
});
