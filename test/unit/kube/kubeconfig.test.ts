import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  kubeconfigPaths,
  listContexts,
  loadKubeconfig,
  mergeKubeconfigs,
  parseKubeconfig,
  resolveContext,
} from '../../../main/kube/kubeconfig.ts';
import { openKubeconfigStore } from '../../../main/kube/kubeconfig-store.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fileA = `
apiVersion: v1
kind: Config
current-context: a
clusters:
- name: shared
  cluster: { server: https://a.example:6443, certificate-authority: certs/ca.pem }
- name: only-a
  cluster: { server: https://only-a:6443, insecure-skip-tls-verify: true }
users:
- name: shared
  user: { client-certificate: certs/a.crt, client-key: /abs/a.key }
contexts:
- name: a
  context: { cluster: shared, user: shared, namespace: team-a }
- name: both
  context: { cluster: shared, user: shared }
`;

const fileB = `
current-context: b
clusters:
- name: shared
  cluster: { server: https://b.example:6443 }
users:
- name: shared
  user: { token: from-b }
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, x]
      env: [{ name: FOO, value: bar }]
      installHint: brew install get-token
- name: plugin-on-path
  user:
    exec: { apiVersion: client.authentication.k8s.io/v1, command: aws }
contexts:
- name: both
  context: { cluster: only-b, user: exec-user }
- name: b
  context: { cluster: shared, user: exec-user }
- name: c
  context: { cluster: missing, user: nobody }
`;

describe('kubeconfig merging', () => {
  it('lets the first file win for every name and for current-context, as kubectl does', () => {
    const a = parseKubeconfig(fileA, join(dir, 'a'));
    const b = parseKubeconfig(fileB, join(dir, 'b'));
    const merged = mergeKubeconfigs([a, b]);
    expect(merged.currentContext).toBe('a');
    expect(merged.clusters.get('shared')?.server).toBe('https://a.example:6443');
    expect(merged.users.get('shared')?.token).toBeUndefined();
    expect(merged.contexts.get('both')).toEqual({ name: 'both', cluster: 'shared', user: 'shared' });
    expect(merged.contexts.get('b')?.user).toBe('exec-user');
    expect(merged.contextFiles.get('b')).toBe(join(dir, 'b'));
    // Reversed order flips every winner.
    const reversed = mergeKubeconfigs([b, a]);
    expect(reversed.currentContext).toBe('b');
    expect(reversed.users.get('shared')?.token).toBe('from-b');
  });

  it('resolves file references against the file that holds them, but leaves bare exec commands to PATH', () => {
    const a = parseKubeconfig(fileA, join(dir, 'sub', 'a'));
    const b = parseKubeconfig(fileB, join(dir, 'b'));
    expect(a.clusters[0]?.certificateAuthority).toBe(join(dir, 'sub', 'certs', 'ca.pem'));
    expect(a.users[0]?.clientCertificate).toBe(join(dir, 'sub', 'certs', 'a.crt'));
    expect(a.users[0]?.clientKey).toBe('/abs/a.key');
    expect(b.users[1]?.exec?.command).toBe(join(dir, 'bin', 'get-token'));
    expect(b.users[1]?.exec?.env).toEqual([{ name: 'FOO', value: 'bar' }]);
    expect(b.users[2]?.exec?.command).toBe('aws');
  });

  it('reads KUBECONFIG as a list, drops empties and duplicates, and falls back to ~/.kube/config', () => {
    const env = { KUBECONFIG: ['/x/one', '', '/x/two', '/x/one'].join(delimiter) };
    expect(kubeconfigPaths(env, '/home/u')).toEqual(['/x/one', '/x/two']);
    expect(kubeconfigPaths({}, '/home/u')).toEqual([join('/home/u', '.kube', 'config')]);
  });

  it('skips missing files, reports broken ones with file and line, and still loads the rest', async () => {
    await writeFile(join(dir, 'good'), fileA);
    await writeFile(join(dir, 'broken'), 'clusters:\n- name: x\n  cluster: [unclosed\n');
    const { config, problems } = await loadKubeconfig([join(dir, 'missing'), join(dir, 'broken'), join(dir, 'good')]);
    expect([...config.contexts.keys()]).toEqual(['a', 'both']);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(new RegExp(`^${join(dir, 'broken')}:\\d+: invalid YAML`));
  });

  it('lists contexts with their auth method, and explains unresolvable ones', () => {
    const merged = mergeKubeconfigs([parseKubeconfig(fileA, '/k/a'), parseKubeconfig(fileB, '/k/b')]);
    const rows = listContexts(merged);
    expect(rows.map((r) => [r.name, r.authMethod, r.namespace, r.current])).toEqual([
      ['a', 'client-certificate', 'team-a', true],
      ['both', 'client-certificate', 'default', false],
      ['b', 'exec', 'default', false],
      ['c', 'none', 'default', false],
    ]);
    expect(rows.find((r) => r.name === 'b')?.authDetail).toBe('/k/bin/get-token');
    expect(resolveContext(merged).namespace).toBe('team-a');
    expect(() => resolveContext(merged, 'c')).toThrow(/context "c" \(\/k\/b\) refers to cluster "missing"/);
    expect(() => resolveContext(merged, 'nope')).toThrow(/context "nope" not found in \/k\/a, \/k\/b/);
  });
});

describe('kubeconfig store', () => {
  it('notices a file that is created, then replaced, and reports each real change once', async () => {
    const path = join(dir, 'config');
    const store = await openKubeconfigStore({ paths: [path], debounceMs: 20 });
    try {
      expect(store.current().config.contexts.size).toBe(0);
      const changes: string[][] = [];
      store.onChange((l) => changes.push([...l.config.contexts.keys()]));
      await writeFile(path, fileA);
      await until(() => changes.length === 1);
      // Atomic replace via rename, as editors and `aws eks update-kubeconfig` do.
      await writeFile(join(dir, 'config.tmp'), fileB);
      const { rename } = await import('node:fs/promises');
      await rename(join(dir, 'config.tmp'), path);
      await until(() => changes.length === 2);
      expect(changes).toEqual([
        ['a', 'both'],
        ['both', 'b', 'c'],
      ]);
      // Rewriting identical content is not a change.
      await writeFile(path, fileB);
      await store.reload();
      expect(changes).toHaveLength(2);
    } finally {
      store.close();
    }
  });
});

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
