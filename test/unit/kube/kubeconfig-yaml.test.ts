import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { kubeconfigFromYaml } from '../../../main/kube/kubeconfig.ts';
import { kubeconfigYamlFor } from '../../../main/kube/kubeconfig-yaml.ts';

const merged = `apiVersion: v1
kind: Config
current-context: a
clusters:
  - name: one
    cluster: { server: https://one.example:6443, certificate-authority-data: Q0E= }
  - name: two
    cluster: { server: https://two.example:6443 }
users:
  - name: alice
    user: { token: secret-token }
  - name: bob
    user: { client-certificate-data: Q0VSVA==, client-key-data: S0VZ }
contexts:
  - name: a
    context: { cluster: one, user: alice }
  - name: b
    context: { cluster: two, user: bob, namespace: apps }
`;

describe('kubeconfigYamlFor', () => {
  it('writes one context as a self-contained kubeconfig, with only its cluster and user', () => {
    const out = parse(kubeconfigYamlFor(kubeconfigFromYaml(merged, 'test'), 'b')) as Record<string, unknown>;
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'b',
      clusters: [{ name: 'two', cluster: { server: 'https://two.example:6443' } }],
      users: [{ name: 'bob', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } }],
      contexts: [{ name: 'b', context: { cluster: 'two', user: 'bob', namespace: 'apps' } }],
    });
    // Reading it back gives the same context.
    const again = kubeconfigFromYaml(kubeconfigYamlFor(kubeconfigFromYaml(merged, 'test'), 'a'), 'again');
    expect(again.clusters.get('one')?.certificateAuthorityData).toBe('Q0E=');
    expect(again.users.get('alice')?.token).toBe('secret-token');
  });
});
