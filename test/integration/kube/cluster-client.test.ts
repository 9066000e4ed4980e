import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';

import { AuthHealthRegistry } from '../../../main/kube/auth-health.ts';
import { clusterFromKubeconfigYaml, openCluster } from '../../../main/kube/cluster-client.ts';
import { ExecCredentialProvider } from '../../../main/kube/exec-credential.ts';
import { isKubeError, KubeError } from '../../../main/kube/kube-error.ts';
import { type Kubeconfig, loadKubeconfig } from '../../../main/kube/kubeconfig.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { eventually } from '../../support/flux-fixture.ts';

const cluster = inject('cluster');
let dir: string;
let kubeconfig: Kubeconfig;
const ns = `client-${process.pid}`;

/** A kubeconfig with the shared cluster under several kinds of credentials. */
async function writeKubeconfig(): Promise<string> {
  const ca = (await readFile(cluster.caCert)).toString('base64');
  const plugin = join(dir, 'token-plugin.sh');
  // A real exec credential plugin: prints an ExecCredential and counts its runs, so caching is observable.
  await writeFile(
    plugin,
    `#!/bin/sh\necho run >> "${join(dir, 'plugin-runs')}"\n` +
      `test "$FLUXDECK_TEST_ENV" = from-kubeconfig || exit 3\n` +
      `echo "$KUBERNETES_EXEC_INFO" | grep -q '"interactive":false' || exit 4\n` +
      `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${cluster.token}"}}'\n`,
  );
  await chmod(plugin, 0o755);
  const path = join(dir, 'kubeconfig');
  const clusterEntry = (name: string, server = cluster.server): unknown => ({
    name,
    cluster: { server, 'certificate-authority-data': ca },
  });
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [clusterEntry('test'), clusterEntry('nowhere', 'https://127.0.0.1:1')],
      users: [
        {
          name: 'exec',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: './token-plugin.sh',
              env: [{ name: 'FLUXDECK_TEST_ENV', value: 'from-kubeconfig' }],
            },
          },
        },
        {
          name: 'missing-plugin',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: 'no-such-auth-plugin',
              installHint: 'install it from example.com',
            },
          },
        },
        { name: 'bad-token', user: { token: 'wrong' } },
        { name: 'token-file', user: { tokenFile: 'token.txt' } },
      ],
      contexts: [
        { name: 'exec', context: { cluster: 'test', user: 'exec', namespace: ns } },
        { name: 'missing-plugin', context: { cluster: 'test', user: 'missing-plugin' } },
        { name: 'bad-token', context: { cluster: 'test', user: 'bad-token' } },
        { name: 'token-file', context: { cluster: 'test', user: 'token-file' } },
        { name: 'nowhere', context: { cluster: 'nowhere', user: 'bad-token' } },
      ],
    }),
  );
  await writeFile(join(dir, 'token.txt'), `${cluster.token}\n`);
  return path;
}

/** The KubeError a promise rejects with (fails the test if it resolves or rejects with something else). */
async function failure(p: Promise<unknown>): Promise<KubeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeError) return err;
    throw err;
  }
  throw new Error('expected a KubeError');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-client-'));
  const own = await loadKubeconfig([await writeKubeconfig(), cluster.kubeconfig]);
  expect(own.problems).toEqual([]);
  kubeconfig = own.config;
  const admin = await openCluster(cluster.name, { kubeconfig });
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  admin.close();
});

afterAll(async () => {
  const admin = await openCluster(cluster.name, { kubeconfig });
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  admin.close();
  await rm(dir, { recursive: true, force: true });
});

describe('cluster client', () => {
  it('authenticates with client certificates and bearer tokens from the kubeconfig', async () => {
    for (const ctx of [cluster.name, `${cluster.name}-token`, 'token-file']) {
      const c = await openCluster(ctx, { kubeconfig });
      const list = await c.list({ apiVersion: 'v1', kind: 'Namespace' });
      expect(list.items.map((n) => n.metadata.name)).toContain(ns);
      expect(list.items[0]?.kind).toBe('Namespace');
      c.close();
    }
  });

  it('runs an exec plugin with the kubeconfig env and caches its credential', async () => {
    const health = new AuthHealthRegistry();
    const c = await openCluster('exec', { kubeconfig, health, execCredentials: new ExecCredentialProvider() });
    expect(c.namespace).toBe(ns);
    await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-exec' }, data: { a: '1' } });
    const got = await c.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'via-exec' });
    expect(got.data).toEqual({ a: '1' });
    const runs = (await readFile(join(dir, 'plugin-runs'), 'utf8')).trim().split('\n');
    expect(runs).toHaveLength(1);
    expect(health.get('exec')).toMatchObject({ state: 'ok', method: 'exec' });
    c.close();
  });

  it('records auth failures per context with a hint: missing plugin, rejected token, unreachable server', async () => {
    const health = new AuthHealthRegistry();
    const changes: string[] = [];
    health.onChange((h) => changes.push(`${h.context}:${h.state}`));
    const attempt = async (ctx: string): Promise<KubeError> => {
      const c = await openCluster(ctx, { kubeconfig, health });
      try {
        await c.list({ apiVersion: 'v1', kind: 'Namespace' });
        throw new Error(`${ctx} unexpectedly worked`);
      } catch (err) {
        if (!(err instanceof KubeError)) throw err;
        return err;
      } finally {
        c.close();
      }
    };
    const missing = await attempt('missing-plugin');
    expect(missing.reason).toBe('AuthFailed');
    expect(missing.message).toContain('exec plugin `no-such-auth-plugin` not found on PATH');
    expect(health.get('missing-plugin')?.lastError?.hint).toBe('install it from example.com');

    const rejected = await attempt('bad-token');
    expect(rejected.reason).toBe('Unauthorized');
    expect(health.get('bad-token')?.lastError?.hint).toMatch(/expired/);

    const away = await attempt('nowhere');
    expect(away.reason).toBe('Unreachable');
    expect(health.get('nowhere')?.lastError?.hint).toMatch(/127\.0\.0\.1:1 is running/);
    expect(changes).toEqual(['missing-plugin:failing', 'bad-token:failing', 'nowhere:failing']);
  });

  it('reports apiserver errors with their reason and message, and unknown kinds clearly', async () => {
    const c = await openCluster(cluster.name, { kubeconfig });
    const err = await c
      .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'absent' })
      .catch((e: unknown) => e);
    expect(isKubeError(err, 'NotFound')).toBe(true);
    const invalid = (await c
      .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_Valid', namespace: ns } })
      .catch((e: unknown) => e)) as KubeError;
    expect(invalid.reason).toBe('Invalid');
    expect(invalid.message).toContain('ConfigMap "Not_Valid" is invalid: metadata.name');
    expect(invalid.causes[0]?.field).toBe('metadata.name');
    const unknown = await failure(
      c.get({ apiVersion: 'nope.fluxdeck.dev/v1', kind: 'Gadget', namespace: ns, name: 'g' }),
    );
    expect(unknown.reason).toBe('UnknownKind');
    expect(unknown.hint).toMatch(/CustomResourceDefinition for group "nope.fluxdeck.dev"/);
    c.close();
  });

  it('gives a connection slot back however a request ends: refused before sending, aborted, an error status', async () => {
    // 16 requests of a cluster are in flight at most; one slot kept by a failed request would, 16 failures later,
    // leave every request of the cluster waiting for ever.
    const c = await openCluster(cluster.name, { kubeconfig });
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    for (let i = 0; i < 20; i++) {
      await expect(
        c.transport.request({ method: 'GET', path, headers: { 'x-not-a-header-value': 'a\nb' } }),
      ).rejects.toThrow();
      await expect(c.transport.request({ method: 'GET', path, signal: AbortSignal.abort() })).rejects.toThrow(
        /aborted/,
      );
      expect((await c.transport.request({ method: 'GET', path: `${path}/absent-${i}` })).status).toBe(404);
    }
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => c.transport.request({ method: 'GET', path, timeoutMs: 30_000 })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 40 }, () => 200));
    c.close();
  });

  it('patches with merge, JSON and apply patches, writes status, and counts requests per verb', async () => {
    const c = await openCluster(cluster.name, { kubeconfig });
    // What the controller manager waits for its caches to reach: each write's answer, dry runs left out.
    const written: string[] = [];
    const stopListening = c.onWrite((o) => written.push(`${o.kind}/${o.metadata.resourceVersion ?? ''}`));
    const key = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'patched' };
    const desired = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'patched', namespace: ns },
      data,
    });
    await c.apply(desired({ a: '1' }), { fieldManager: 'test' });
    await c.patch(key, { data: { b: '2' } }, 'merge', { fieldManager: 'test-merge' });
    await c.patch(key, [{ op: 'add', path: '/data/c', value: '3' }], 'json');
    const after = await c.get(key);
    expect(after.data).toEqual({ a: '1', b: '2', c: '3' });
    const dry = await c.apply(desired({ a: 'x' }), { fieldManager: 'test', dryRun: true });
    expect(dry.data).toMatchObject({ a: 'x' });
    expect((await c.get(key)).data).toMatchObject({ a: '1' });
    const conflict = await failure(c.replace({ ...after, metadata: { ...after.metadata, resourceVersion: '1' } }));
    expect(conflict.reason).toBe('Conflict');
    // Status subresource of a Namespace-scoped built-in kind.
    const svc = await c.create<KubeObject & { status: unknown }>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lb', namespace: ns },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    expect(svc.status).toEqual({ loadBalancer: {} });
    const patched = await c.patchStatus<KubeObject & { status: unknown }>(
      { apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'lb' },
      { status: { loadBalancer: { ingress: [{ ip: '10.9.9.9' }] } } },
    );
    expect(patched.status).toMatchObject({ loadBalancer: { ingress: [{ ip: '10.9.9.9' }] } });
    expect(written).toHaveLength(5);
    expect(written.slice(0, 3).every((w) => w.startsWith('ConfigMap/'))).toBe(true);
    expect(written[2]).toBe(`ConfigMap/${after.metadata.resourceVersion ?? ''}`);
    expect(written[4]).toBe(`Service/${patched.metadata.resourceVersion ?? ''}`);
    stopListening();
    expect(c.stats.byVerb.APPLY).toBe(2);
    expect(c.stats.byVerb.PATCH).toBe(3);
    c.close();
  });

  it('acts as a service account when impersonating, and is refused what RBAC does not grant', async () => {
    const admin = await openCluster(cluster.name, { kubeconfig });
    await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'limited', namespace: ns } });
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-cm', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    });
    await admin.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'limited-read', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-cm' },
      subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace: ns }],
    });
    const sa = admin.impersonate({ serviceAccount: { namespace: ns, name: 'limited' } });
    // The apiserver's RBAC authorizer learns of a new RoleBinding from its informer: a request right after the create
    // may still be refused (seen once in CI), so wait for the grant to take effect.
    await eventually('the RoleBinding to take effect', () =>
      sa.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns }).catch(() => undefined),
    );
    const denied = await failure(
      sa.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nope', namespace: ns } }),
    );
    expect(denied.reason).toBe('Forbidden');
    expect(denied.message).toContain(`system:serviceaccount:${ns}:limited`);
    // Closing the cluster closes the impersonating view too.
    admin.close();
    const closed = await failure(sa.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns }));
    expect(closed.reason).toBe('Aborted');
  });

  it('records events, counting repeats on one Event', async () => {
    const c = await openCluster(cluster.name, { kubeconfig });
    const cm = await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'evented', namespace: ns } });
    const ev = {
      type: 'Warning' as const,
      reason: 'Drifted',
      message: 'replicas changed',
      reportingController: 'kustomize-controller',
    };
    await c.createEvent(cm, ev);
    await c.createEvent(cm, ev);
    const events = await c.list(
      { apiVersion: 'v1', kind: 'Event' },
      { namespace: ns, fieldSelector: 'involvedObject.name=evented' },
    );
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      reason: 'Drifted',
      count: 2,
      type: 'Warning',
      involvedObject: { uid: cm.metadata.uid },
    });
    c.close();
  });

  it('aborts a running watch when the client closes', async () => {
    const c = await openCluster(cluster.name, { kubeconfig });
    const seen: string[] = [];
    const watching = c.watch({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns }, (e) =>
      seen.push(`${e.type} ${e.object.metadata.name ?? ''}`),
    );
    await c.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: ns } });
    for (let i = 0; i < 100 && !seen.includes('ADDED watched'); i++) await new Promise((r) => setTimeout(r, 20));
    c.close();
    const err = await failure(watching);
    expect(err.reason).toBe('Aborted');
    expect(seen).toContain('ADDED watched');
  });

  it('builds a client from kubeconfig YAML held in a Secret, refusing exec plugins unless trusted', async () => {
    const yaml = await readFile(cluster.kubeconfig, 'utf8');
    const c = clusterFromKubeconfigYaml(yaml, { context: `${cluster.name}-token`, label: 'Secret flux-system/remote' });
    expect((await c.list({ apiVersion: 'v1', kind: 'Namespace' })).items.length).toBeGreaterThan(0);
    c.close();
    const withExec = stringify({
      clusters: [{ name: 'x', cluster: { server: cluster.server } }],
      users: [{ name: 'x', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh' } } }],
      contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
      'current-context': 'x',
    });
    expect(() => clusterFromKubeconfigYaml(withExec)).toThrow(
      /uses an exec plugin, which is not allowed for kubeconfigs from Secrets/,
    );
  });
});
