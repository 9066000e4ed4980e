// HelmRelease end to end with real parts: a chart packaged and pushed by the helm CLI to the real registry, pulled by
// the OCIRepository controller, released by Fluxdeck's HelmRelease controller through the Helm helper against the real
// control plane (KWOK makes the workloads ready), and read back with `helm ls` / `helm history`.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { requestReconcile } from '../../../main/controllers/requests/flux-requests.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import type { HelmRelease } from '../../../main/flux/helm.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Condition } from '../../../main/flux/meta.ts';
import type { OCIRepository } from '../../../main/flux/source.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { clientFor, ensureNamespace, eventually, installCrds, waitForReady } from '../../support/flux-fixture.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';
import { ensureTool } from '../../tools/tools.ts';

const run = promisify(execFile);
const cluster = inject('cluster');
const NS = 'helmrel';
const OCI = { apiVersion: fluxKinds.OCIRepository.apiVersion, kind: 'OCIRepository' };
const HR = { apiVersion: fluxKinds.HelmRelease.apiVersion, kind: 'HelmRelease' };

let registry: RegistryServer;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let work: string;
let helm: string;

const helmEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  KUBECONFIG: cluster.kubeconfig,
  HELM_CACHE_HOME: join(work, 'helm', 'cache'),
  HELM_CONFIG_HOME: join(work, 'helm', 'config'),
  HELM_DATA_HOME: join(work, 'helm', 'data'),
});

const CHART_TEMPLATES: Record<string, string> = {
  'configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: {{ required "greeting is required" .Values.greeting | quote }}
  color: {{ .Values.color | default "none" | quote }}
  {{- if .Values.extra }}
  extra: {{ toYaml .Values.extra | quote }}
  {{- end }}
`,
  'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: { app: {{ .Release.Name }}-web }
  template:
    metadata:
      labels: { app: {{ .Release.Name }}-web }
    spec:
      containers:
        - name: web
          image: nginx:1.27
`,
};

/** `helm package` + `helm push` of a small chart named `name` at `version`, to oci://<registry>/charts/<name>. */
async function pushChart(name: string, version: string, values: string): Promise<void> {
  const dir = join(work, 'charts', `${name}-${version}`, name);
  await mkdir(join(dir, 'templates'), { recursive: true });
  await writeFile(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: "1.0"\n`);
  await writeFile(join(dir, 'values.yaml'), values);
  for (const [file, text] of Object.entries(CHART_TEMPLATES)) await writeFile(join(dir, 'templates', file), text);
  const out = join(work, 'packages');
  await run(helm, ['package', dir, '-d', out], { env: helmEnv() });
  await run(helm, ['push', join(out, `${name}-${version}.tgz`), `oci://${registry.host}/charts`, '--plain-http'], {
    env: helmEnv(),
  });
}

async function ociChart(name: string, tag: string): Promise<void> {
  const repo: OCIRepository = {
    apiVersion: OCI.apiVersion,
    kind: 'OCIRepository',
    metadata: { name, namespace: NS },
    spec: {
      url: `oci://${registry.host}/charts/${name}`,
      interval: '10m',
      insecure: true,
      ref: { tag },
      layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
    },
  };
  await client.create(repo);
  await waitForReady(client, OCI, NS, name, (c) => c.status === 'True');
}

function helmRelease(name: string, chart: string, spec: Partial<HelmRelease['spec']> = {}): HelmRelease {
  return {
    apiVersion: HR.apiVersion,
    kind: 'HelmRelease',
    metadata: { name, namespace: NS },
    spec: { interval: '10m', chartRef: { kind: 'OCIRepository', name: chart }, timeout: '60s', ...spec },
  };
}

const cond = (hr: HelmRelease, type: string): Condition | undefined =>
  hr.status?.conditions?.find((c) => c.type === type);

/** Ready=True for the current generation. */
const readyNow = (c: Condition, o: HelmRelease): boolean =>
  c.status === 'True' && o.status?.observedGeneration === o.metadata.generation;

async function helmJson<T>(args: string[]): Promise<T> {
  const { stdout } = await run(helm, [...args, '-o', 'json'], { env: helmEnv() });
  return JSON.parse(stdout) as T;
}

async function configMap(name: string): Promise<Record<string, string> | undefined> {
  const cm = await client.tryGet<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: NS,
    name,
  });
  return cm?.data;
}

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  await client.patch({ ...HR, namespace: NS, name }, { spec }, 'merge', { fieldManager: 'test' });
}

beforeAll(async () => {
  [registry, helm] = await Promise.all([startRegistry(), ensureTool('helm')]);
  const helper = await ensureHelmHelper();
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-helmrel-'));
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await pushChart('hello', '1.0.0', 'greeting: hi\nreplicas: 1\n');
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'helmrel',
    helmHelper: helper,
  });
  await fluxdeck.connect(cluster.name);
  await ociChart('hello', '1.0.0');
}, 600_000);

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('HelmRelease from an OCIRepository chart', () => {
  it('installs; status, history and conditions are as helm-controller writes them; helm ls reads the release', async () => {
    await client.create(helmRelease('web', 'hello', { values: { color: 'blue' } }));
    const hr = await waitForReady<HelmRelease>(client, HR, NS, 'web', readyNow);
    expect(cond(hr, 'Ready')).toMatchObject({ reason: 'InstallSucceeded' });
    expect(cond(hr, 'Released')).toMatchObject({
      status: 'True',
      reason: 'InstallSucceeded',
      message: `Helm install succeeded for release ${NS}/web.v1 with chart hello@1.0.0`,
    });
    expect(hr.status).toMatchObject({
      lastAttemptedRevision: '1.0.0',
      lastAttemptedReleaseAction: 'install',
      storageNamespace: NS,
    });
    // Counters at zero are left out, as Go's omitempty does.
    expect(hr.status?.installFailures).toBeUndefined();
    expect(hr.status?.lastAttemptedConfigDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hr.status?.lastAttemptedRevisionDigest).toMatch(/^sha256:/);
    expect(hr.status?.history).toEqual([
      expect.objectContaining({
        name: 'web',
        namespace: NS,
        version: 1,
        status: 'deployed',
        chartName: 'hello',
        chartVersion: '1.0.0',
        appVersion: '1.0',
        configDigest: hr.status?.lastAttemptedConfigDigest,
      }),
    ]);
    expect(hr.metadata.finalizers).toContain('finalizers.fluxcd.io');
    expect(await configMap('web-config')).toMatchObject({ greeting: 'hi', color: 'blue' });
    // helm-controller's origin labels, by which flux and the graph find what the release manages.
    const deployment = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web-web' });
    expect(deployment.metadata.labels).toMatchObject({
      'helm.toolkit.fluxcd.io/name': 'web',
      'helm.toolkit.fluxcd.io/namespace': NS,
    });
    const listed = await helmJson<{ name: string; status: string; revision: string }[]>(['ls', '-n', NS]);
    expect(listed).toContainEqual(expect.objectContaining({ name: 'web', status: 'deployed', revision: '1' }));
  });

  it('upgrades to revision 2 on a values change, and a no-op reconcile keeps revision 2', async () => {
    await patchSpec('web', { values: { color: 'green' } });
    const hr = await waitForReady<HelmRelease>(client, HR, NS, 'web', readyNow);
    expect(cond(hr, 'Ready')).toMatchObject({ reason: 'UpgradeSucceeded' });
    expect(hr.status?.history?.map((s) => [s.version, s.status])).toEqual([
      [2, 'deployed'],
      [1, 'superseded'],
    ]);
    expect(await configMap('web-config')).toMatchObject({ color: 'green' });
    // Ask for a reconcile without changing anything: it must not make a new release revision.
    const requested = new Date().toISOString();
    await client.patch(
      { ...HR, namespace: NS, name: 'web' },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': requested } } },
      'merge',
      { fieldManager: 'test' },
    );
    await eventually('the reconcile request handled', async () => {
      const o = await client.tryGet<HelmRelease>({ ...HR, namespace: NS, name: 'web' });
      return o?.status?.lastHandledReconcileAt === requested ? o : undefined;
    });
    const history = await helmJson<{ revision: number; status: string }[]>(['history', 'web', '-n', NS]);
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
  });

  it('merges valuesFrom a ConfigMap and a Secret (with targetPath) under the inline values', async () => {
    await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-values', namespace: NS },
      data: { 'values.yaml': 'greeting: from-configmap\ncolor: red\n' },
    });
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-secret', namespace: NS },
      stringData: { token: 's3cret' },
    });
    await client.create(
      helmRelease('vals', 'hello', {
        valuesFrom: [
          { kind: 'ConfigMap', name: 'web-values' },
          { kind: 'Secret', name: 'web-secret', valuesKey: 'token', targetPath: 'extra.token' },
          { kind: 'ConfigMap', name: 'missing', optional: true },
        ],
        values: { color: 'inline' },
      }),
    );
    await waitForReady<HelmRelease>(client, HR, NS, 'vals', readyNow);
    const data = await configMap('vals-config');
    expect(data).toMatchObject({ greeting: 'from-configmap', color: 'inline' });
    expect(data?.extra).toContain('token: s3cret');
  });

  it('a template error fails the install with the template named, retries, then stalls', async () => {
    await client.create(
      helmRelease('broken', 'hello', {
        values: { greeting: '' },
        install: { remediation: { retries: 1 } },
      }),
    );
    const hr = await eventually(
      'the install retries to be used up',
      async () => {
        const o = await client.tryGet<HelmRelease>({ ...HR, namespace: NS, name: 'broken' });
        return o && cond(o, 'Stalled')?.status === 'True' ? o : undefined;
      },
      120_000,
    );
    expect(cond(hr, 'Ready')).toMatchObject({ status: 'False', reason: 'InstallFailed' });
    expect(cond(hr, 'Ready')?.message).toMatch(
      /Helm install failed for release helmrel\/broken with chart hello@1\.0\.0/,
    );
    expect(cond(hr, 'Ready')?.message).toMatch(/configmap\.yaml/);
    expect(cond(hr, 'Ready')?.message).toMatch(/greeting is required/);
    expect(cond(hr, 'Stalled')).toMatchObject({
      reason: 'RetriesExceeded',
      message: 'Failed to install after 2 attempt(s)',
    });
    expect(hr.status).toMatchObject({ installFailures: 2, failures: 2 });
  });

  it('an upgrade failure with remediation strategy rollback rolls back to the last good release', async () => {
    await client.create(
      helmRelease('roll', 'hello', {
        upgrade: { remediation: { retries: 1, strategy: 'rollback' } },
      }),
    );
    await waitForReady<HelmRelease>(client, HR, NS, 'roll', readyNow);
    // A replica count the apiserver refuses: the upgrade fails after rendering.
    await patchSpec('roll', { values: { replicas: 'many' } });
    const hr = await eventually(
      'the upgrade to be rolled back and retries used up',
      async () => {
        const o = await client.tryGet<HelmRelease>({ ...HR, namespace: NS, name: 'roll' });
        return o && cond(o, 'Stalled')?.status === 'True' ? o : undefined;
      },
      180_000,
    );
    expect(cond(hr, 'Remediated')).toMatchObject({ status: 'True', reason: 'RollbackSucceeded' });
    expect(cond(hr, 'Stalled')).toMatchObject({
      reason: 'RetriesExceeded',
      message: 'Failed to upgrade after 2 attempt(s)',
    });
    expect(hr.status?.upgradeFailures).toBe(2);
    const history = await helmJson<{ revision: number; status: string; description: string }[]>([
      'history',
      'roll',
      '-n',
      NS,
    ]);
    // 1 deployed, 2 failed, 3 rollback to 1, 4 failed (the retry), 5 rollback to 3 (the last failure remediated).
    expect(history.map((h) => h.status)).toEqual(['superseded', 'failed', 'superseded', 'failed', 'deployed']);
    expect(history[4]?.description).toMatch(/Rollback to 3/);
    expect(await configMap('roll-config')).toMatchObject({ greeting: 'hi' });
  });

  it('driftDetection enabled puts a changed object back on the next reconcile, without a new revision', async () => {
    await client.create(helmRelease('drifty', 'hello', { driftDetection: { mode: 'enabled' } }));
    await waitForReady<HelmRelease>(client, HR, NS, 'drifty', readyNow);
    await client.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'drifty-config' },
      { data: { greeting: 'edited by hand' } },
      'merge',
      { fieldManager: 'kubectl-edit' },
    );
    const requested = new Date().toISOString();
    await client.patch(
      { ...HR, namespace: NS, name: 'drifty' },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': requested } } },
      'merge',
      { fieldManager: 'test' },
    );
    await eventually('the drift to be corrected', async () =>
      (await configMap('drifty-config'))?.greeting === 'hi' ? true : undefined,
    );
    const history = await helmJson<{ revision: number }[]>(['history', 'drifty', '-n', NS]);
    expect(history.map((h) => h.revision)).toEqual([1]);
  });

  it('post-renders with kustomize patches, and a change of post-renderers alone upgrades the release', async () => {
    const patch = (value: string): NonNullable<HelmRelease['spec']['postRenderers']> => [
      {
        kustomize: {
          patches: [
            {
              target: { kind: 'ConfigMap' },
              patch: `- op: add\n  path: /metadata/labels\n  value: {team: ${value}}\n`,
            },
          ],
        },
      },
    ];
    await client.create(helmRelease('post', 'hello', { postRenderers: patch('one') }));
    await waitForReady<HelmRelease>(client, HR, NS, 'post', readyNow);
    const labels = async (): Promise<Record<string, string> | undefined> =>
      (await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'post-config' }))?.metadata
        .labels;
    expect(await labels()).toMatchObject({ team: 'one' });
    await patchSpec('post', { postRenderers: patch('two') });
    const hr = await waitForReady<HelmRelease>(client, HR, NS, 'post', readyNow);
    expect(hr.status?.history?.[0]?.version).toBe(2);
    expect(hr.status?.observedPostRenderersDigest).toMatch(/^sha256:/);
    expect(await labels()).toMatchObject({ team: 'two' });
  });

  it('reconcile --force (forceAt) upgrades once without a spec change; --with-source reconciles the chart source first', async () => {
    const result = await requestReconcile(
      client,
      { kind: fluxKinds.HelmRelease, namespace: NS, name: 'vals' },
      { force: true, withSource: true, timeoutMs: 120_000 },
    );
    expect(result.ready).toBe(true);
    const hr = result.object as HelmRelease;
    expect(hr.status?.history?.[0]?.version).toBe(2);
    expect(hr.status?.lastHandledForceAt).toBe(hr.metadata.annotations?.['reconcile.fluxcd.io/forceAt']);
    const oci = await client.tryGet({ ...OCI, namespace: NS, name: 'hello' });
    expect(oci?.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBeDefined();
  });

  it('deleting the HelmRelease uninstalls the release', async () => {
    await client.delete({ ...HR, namespace: NS, name: 'web' });
    await eventually('the HelmRelease to be gone', async () =>
      (await client.tryGet({ ...HR, namespace: NS, name: 'web' })) ? undefined : true,
    );
    const listed = await helmJson<{ name: string }[]>(['ls', '-n', NS]);
    expect(listed.map((r) => r.name)).not.toContain('web');
    expect(await configMap('web-config')).toBeUndefined();
  });
});
