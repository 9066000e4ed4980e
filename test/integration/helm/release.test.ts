// Install, upgrade, test, roll back and uninstall through the Helm helper against the real control plane, and read
// the results back with the `helm` CLI: our releases are ordinary Helm releases.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { HelmClient, type HelmError, type KubeAccess } from '../../../main/helm/index.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { clientFor, ensureNamespace } from '../../support/flux-fixture.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { ensureTool } from '../../tools/tools.ts';

const exec = promisify(execFile);
const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'helm');
const suffix = randomBytes(3).toString('hex');
const ns = `helm-rel-${suffix}`;
const storage = `helm-store-${suffix}`;

let dir: string;
let helm: string;
let helper: HelmClient;
let kube: KubeAccess;
let cluster: ClusterClient;
let chart: string;

async function helmJson<T>(args: string[]): Promise<T> {
  const { stdout } = await exec(helm, [...args, '-o', 'json'], {
    env: { ...process.env, KUBECONFIG: inject('cluster').kubeconfig, HELM_CACHE_HOME: join(dir, 'c') },
  });
  return JSON.parse(stdout) as T;
}

async function failure(p: Promise<unknown>): Promise<HelmError> {
  try {
    await p;
  } catch (err) {
    return err as HelmError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  const provided = inject('cluster');
  [helm] = await Promise.all([ensureTool('helm'), ensureHelmHelper()]);
  helper = new HelmClient({ path: await ensureHelmHelper() });
  kube = { kubeconfig: await readFile(provided.kubeconfig, 'utf8') };
  cluster = await clientFor(provided.kubeconfig);
  await ensureNamespace(cluster, storage);
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-helm-release-'));
  await cp(fixtures, join(dir, 'charts'), { recursive: true });
  chart = join(dir, 'charts', 'app');
  await helper.call('dependencies', { path: chart });
}, 600_000);

afterAll(async () => {
  await helper.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('release lifecycle', () => {
  const target = (): { kube: KubeAccess; releaseName: string; namespace: string; storageNamespace: string } => ({
    kube,
    releaseName: 'shop',
    namespace: ns,
    storageNamespace: storage,
  });

  it('installs with hooks, CRDs and lookup; helm ls reads the release from the storage namespace', async () => {
    await ensureNamespace(cluster, ns);
    await cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'preexisting', namespace: ns },
        data: { value: 'found' },
      },
      { fieldManager: 'test', force: true },
    );
    const rel = await helper.call('install', { ...target(), chart: { path: chart }, timeoutMs: 90_000 });
    expect(rel).toMatchObject({ name: 'shop', namespace: ns, version: 1, status: 'deployed' });
    expect(rel.chart).toEqual({ name: 'app', version: '1.2.0', appVersion: '2.0.0' });
    expect(rel.hooks.find((h) => h.name === 'shop-migrate')?.lastRun?.phase).toBe('Succeeded');
    expect(rel.manifest).toContain('lookedUp: "found"');
    const listed = await helmJson<{ name: string; status: string; revision: string }[]>(['ls', '-n', storage]);
    expect(listed).toEqual([expect.objectContaining({ name: 'shop', status: 'deployed', revision: '1' })]);
    const cm = await cluster.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', name: 'shop-config', namespace: ns });
    expect(cm?.metadata.annotations?.['meta.helm.sh/release-name']).toBe('shop');
    const crd = await cluster.tryGet({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'widgets.test.fluxdeck.dev',
    });
    expect(crd).toBeDefined();
  });

  it('upgrades with new values, and helm history shows both revisions', async () => {
    const rel = await helper.call('upgrade', {
      ...target(),
      chart: { path: chart },
      values: { greeting: 'welcome', sub: { color: 'purple' } },
      timeoutMs: 90_000,
    });
    expect(rel).toMatchObject({ version: 2, status: 'deployed', config: { greeting: 'welcome' } });
    const history = await helmJson<{ revision: number; status: string }[]>(['history', 'shop', '-n', storage]);
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    const cm = await cluster.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', name: 'shop-sub', namespace: ns });
    expect((cm as { data?: Record<string, string> } | undefined)?.data?.color).toBe('purple');
  });

  it('applies what the post-renderer made of the manifest, and stores it in the release', async () => {
    const rel = await helper.call(
      'upgrade',
      {
        ...target(),
        chart: { path: chart },
        values: { greeting: 'welcome', sub: { color: 'purple' } },
        timeoutMs: 90_000,
      },
      {
        postRenderer: (m) =>
          m.replaceAll('app.kubernetes.io/managed-by: Helm', 'app.kubernetes.io/managed-by: Helm\n    team: payments'),
      },
    );
    expect(rel.version).toBe(3);
    expect(rel.manifest).toContain('team: payments');
    const svc = await cluster.tryGet({ apiVersion: 'v1', kind: 'Service', name: 'shop', namespace: ns });
    expect(svc?.metadata.labels?.team).toBe('payments');
  });

  it('replaces CRDs on upgrade with the CreateReplace policy, which Helm alone never does', async () => {
    const copy = join(dir, 'charts', 'app-crd');
    await cp(chart, copy, { recursive: true });
    const crdFile = join(copy, 'crds', 'widgets.yaml');
    await writeFile(
      crdFile,
      (await readFile(crdFile, 'utf8')).replace('singular: widget }', 'singular: widget, shortNames: [wdg] }'),
    );
    const rel = await helper.call('upgrade', {
      ...target(),
      chart: { path: copy },
      values: { greeting: 'welcome', sub: { color: 'purple' } },
      crds: 'CreateReplace',
      timeoutMs: 90_000,
    });
    expect(rel.status).toBe('deployed');
    const crd = await cluster.tryGet<{ spec: { names: { shortNames?: string[] } } } & KubeObject>({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'widgets.test.fluxdeck.dev',
    });
    expect(crd?.spec.names.shortNames).toEqual(['wdg']);
  });

  it('runs the test hooks and records their result', async () => {
    const rel = await helper.call('test', { ...target(), timeoutMs: 90_000 });
    const smoke = rel.hooks.find((h) => h.name === 'shop-smoke');
    expect(smoke?.events).toEqual(['test']);
    expect(smoke?.lastRun?.phase).toBe('Succeeded');
  });

  it('rolls back to the first revision as a new revision', async () => {
    const rel = await helper.call('rollback', { ...target(), version: 1, timeoutMs: 90_000 });
    expect(rel).toMatchObject({ version: 5, status: 'deployed' });
    expect(rel.config?.greeting).toBeUndefined();
    const status = await helper.call('status', target());
    expect(status.version).toBe(5);
    const history = await helper.call('history', target());
    expect(history.releases.map((r) => r.status)).toEqual([
      'superseded',
      'superseded',
      'superseded',
      'superseded',
      'deployed',
    ]);
  });

  it('uninstalls: objects and records are gone, and the release is then not found', async () => {
    const res = await helper.call('uninstall', { ...target(), timeoutMs: 60_000 });
    expect(res.release?.status).toBe('uninstalled');
    expect(await helmJson<unknown[]>(['ls', '-n', storage])).toEqual([]);
    expect(await cluster.tryGet({ apiVersion: 'v1', kind: 'Service', name: 'shop', namespace: ns })).toBeUndefined();
    expect((await failure(helper.call('status', target()))).code).toBe('ReleaseNotFound');
  });

  it('installs on upgrade only when asked to (helm upgrade --install)', async () => {
    const t = { ...target(), releaseName: 'lazy' };
    expect((await failure(helper.call('upgrade', { ...t, chart: { path: chart } }))).code).toBe('ReleaseNotFound');
    const rel = await helper.call('upgrade', {
      ...t,
      chart: { path: chart },
      install: true,
      values: { hooks: { enabled: false } },
      disableWait: true,
    });
    expect(rel).toMatchObject({ name: 'lazy', version: 1, status: 'deployed' });
    await helper.call('uninstall', { ...t, disableWait: true });
  });
});

describe('failures', () => {
  it('times out waiting for readiness, naming the resource that was not ready and the failed revision', async () => {
    await ensureNamespace(cluster, ns);
    const err = await failure(
      helper.call('install', {
        kube,
        releaseName: 'stuck',
        namespace: ns,
        chart: { path: chart },
        values: { hooks: { enabled: false }, nodeSelector: { 'fluxdeck.dev/no-such-node': 'x' } },
        timeoutMs: 4000,
      }),
    );
    expect(err.code).toBe('Timeout');
    expect(err.details).toMatchObject({ status: 'failed', revision: '1', resource: `Deployment/${ns}/stuck` });
    expect(err.message).toContain('not ready');
    const history = await helper.call('history', { kube, releaseName: 'stuck', namespace: ns });
    expect(history.releases.map((r) => r.status)).toEqual(['failed']);
    await helper.call('uninstall', { kube, releaseName: 'stuck', namespace: ns, disableWait: true });
  });

  it('acts as the impersonated service account, which may be refused', async () => {
    await ensureNamespace(cluster, ns);
    await cluster.apply(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: ns } },
      { fieldManager: 'test', force: true },
    );
    const err = await failure(
      helper.call('install', {
        kube: { ...kube, serviceAccount: 'nobody' },
        releaseName: 'denied',
        namespace: ns,
        chart: { path: chart },
        disableWait: true,
      }),
    );
    expect(err.code).toBe('Forbidden');
    expect(err.message).toContain('system:serviceaccount:' + ns + ':nobody');
  });

  it('refuses exec plugins in a kubeconfig that is not trusted (one from a Secret), as Flux does', async () => {
    const execConfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/touch, args: [/tmp/pwned]}}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n');
    const err = await failure(
      helper.call('status', { kube: { kubeconfig: execConfig }, releaseName: 'x', namespace: ns }),
    );
    expect(err.code).toBe('BadRequest');
    expect(err.message).toContain('exec plugin');
  });

  it('rejects a kubeconfig that is not one without quoting it', async () => {
    const err = await failure(
      helper.call('status', { kube: { kubeconfig: 'token: s3cr3t-value\n' }, releaseName: 'x', namespace: ns }),
    );
    expect(err.code).toBe('KubeUnreachable');
    expect(err.message).not.toContain('s3cr3t-value');
  });
});
