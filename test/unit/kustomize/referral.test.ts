// Name references choose their referral with kustomize's sieve (api/filters/nameref): earlier names only, the
// referrer's namespace (service accounts excepted), then prefixes and suffixes, where a side without any matches
// all; survivors that still differ are an error. Each case was checked against `kubectl kustomize`.
import { describe, expect, it } from 'vitest';

import { build, KustomizeError, MemoryFs } from '../../../main/kustomize/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

function run(files: Record<string, string>): KubeObject[] {
  return build(new MemoryFs(files), '.').objects;
}

const DEPLOY = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: app, image: app, envFrom: [{configMapRef: {name: cm}}]}]}}}
`;

const refOf = (objs: KubeObject[], name: string): unknown =>
  JSON.stringify(objs.find((o) => o.metadata.name === name)?.spec).match(/"configMapRef":\{"name":"([^"]+)"/)?.[1];

describe('name reference selection', () => {
  it('picks the candidate with the same prefixes as the referrer', () => {
    const out = run({
      'a/r.yaml': `${DEPLOY}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n`,
      'a/kustomization.yaml': 'namePrefix: a-\nresources: [r.yaml]\n',
      'b/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
      'b/kustomization.yaml': 'namePrefix: b-\nresources: [r.yaml]\n',
      'kustomization.yaml': 'namePrefix: top-\nresources: [a, b]\n',
    });
    expect(refOf(out, 'top-a-app')).toBe('top-a-cm');
  });

  it('lets a candidate without prefixes match a prefixed referrer', () => {
    const out = run({
      'a/r.yaml': DEPLOY,
      'a/kustomization.yaml': 'namePrefix: a-\nresources: [r.yaml]\n',
      'b/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
      'b/kustomization.yaml': 'namePrefix: b-\nresources: [r.yaml]\n',
      'c/kustomization.yaml': 'configMapGenerator: [{name: cm, literals: [x=y]}]\n',
      'kustomization.yaml': 'resources: [a, b, c]\n',
    });
    expect(refOf(out, 'a-app')).toMatch(/^cm-[a-z0-9]{10}$/);
  });

  it('refuses a subject that names service accounts in two namespaces', () => {
    const dir = (ns: string): Record<string, string> => ({
      [`${ns}/r.yaml`]: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb-${ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr}
subjects: [{kind: ServiceAccount, name: sa}]
`,
      [`${ns}/kustomization.yaml`]: `namespace: ${ns}\nresources: [r.yaml]\n`,
    });
    expect(() => run({ ...dir('a'), ...dir('b'), 'kustomization.yaml': 'resources: [a, b]\n' })).toThrow(
      KustomizeError,
    );
  });

  it('follows a ValidatingAdmissionPolicy renamed by a prefix', () => {
    const out = run({
      'r.yaml': `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: policy}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: binding}
spec: {policyName: policy}
`,
      'kustomization.yaml': 'namePrefix: p-\nresources: [r.yaml]\n',
    });
    expect(out.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding')?.spec).toEqual({ policyName: 'p-policy' });
  });
});
