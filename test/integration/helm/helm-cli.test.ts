// `fluxdeck helm template`, `fluxdeck diff helmrelease` and the editor's preview of a HelmRelease edit against the real control plane: a chart served by an HTTP
// chart repository, released by Fluxdeck's HelmRelease controller (HelmRepository → HelmChart → HelmRelease), with
// values from a ConfigMap and a Secret, a kustomize post-renderer and commonMetadata. The CLI's render must equal the
// manifest the controller applied (`helm get manifest`) and `helm template` of the same chart and values.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { runCli } from '../../../main/cli/run.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import type { HelmRelease } from '../../../main/flux/helm.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import { HelmClient } from '../../../main/helm/index.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { previewObjects } from '../../../main/workbench/previews.ts';
import { type ChartRepo, startChartRepo } from '../../support/chart-repo-server.ts';
import { cliIO } from '../../support/cli-io.ts';
import { clientFor, ensureNamespace, installCrds, waitForReady } from '../../support/flux-fixture.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { ensureTool } from '../../tools/tools.ts';

const run = promisify(execFile);
const cluster = inject('cluster');
const NS = 'helmcli';
const HR = { apiVersion: fluxKinds.HelmRelease.apiVersion, kind: 'HelmRelease' };
const REPO = { apiVersion: fluxKinds.HelmRepository.apiVersion, kind: 'HelmRepository' };
const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'helm');

let client: ClusterClient;
let fluxdeck: Fluxdeck;
let charts: ChartRepo;
let work: string;
let helm: string;
let chartTgz: string;

const helmEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  KUBECONFIG: cluster.kubeconfig,
  HELM_CACHE_HOME: join(work, 'helm', 'cache'),
  HELM_CONFIG_HOME: join(work, 'helm', 'config'),
  HELM_DATA_HOME: join(work, 'helm', 'data'),
});

/** Runs the CLI in-process against the test cluster and this test's data directory (where the artifacts are). */
async function fluxdeckCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const rec = cliIO();
  const code = await runCli(
    [...args, '-n', NS, '--kubeconfig', cluster.kubeconfig, '--data-dir', join(work, 'data')],
    rec.io,
  );
  return { code, out: rec.out(), err: rec.err() };
}

const POST_RENDER_LABELS = ['helm.toolkit.fluxcd.io/name', 'helm.toolkit.fluxcd.io/namespace', 'team', 'patched'];

/** The objects of a YAML stream, sorted, optionally without the labels and annotations Flux's post-renderers add. */
function objectsOf(stream: string, strip = false): KubeObject[] {
  const out = parseAllDocuments(stream)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
  for (const o of strip ? out : []) {
    const labels = Object.fromEntries(
      Object.entries(o.metadata.labels ?? {}).filter(([k]) => !POST_RENDER_LABELS.includes(k)),
    );
    const annotations = Object.fromEntries(
      Object.entries(o.metadata.annotations ?? {}).filter(([k]) => k !== 'example.com/owner'),
    );
    o.metadata = { ...o.metadata, labels, annotations };
    if (Object.keys(labels).length === 0) delete o.metadata.labels;
    if (Object.keys(annotations).length === 0) delete o.metadata.annotations;
  }
  return out.sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

function helmRelease(name: string, spec: Partial<HelmRelease['spec']>): HelmRelease {
  return {
    apiVersion: HR.apiVersion,
    kind: 'HelmRelease',
    metadata: { name, namespace: NS },
    spec: {
      interval: '10m',
      timeout: '60s',
      chart: { spec: { chart: 'five', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } } },
      ...spec,
    },
  };
}

/** Asks for a reconcile (reconcile.fluxcd.io/requestedAt, as `flux reconcile`) and waits until it is handled and Ready. */
async function reconcileNow(name: string): Promise<HelmRelease> {
  const requested = new Date().toISOString();
  await client.patch(
    { ...HR, namespace: NS, name },
    { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': requested } } },
    'merge',
    { fieldManager: 'test' },
  );
  return waitForReady<HelmRelease>(
    client,
    HR,
    NS,
    name,
    (c, o) => c.status === 'True' && o.status?.lastHandledReconcileAt === requested,
    120_000,
  );
}

const readyAt = (generation: number) => (c: { status: string }, o: HelmRelease) =>
  c.status === 'True' && o.status?.observedGeneration === generation;

beforeAll(async () => {
  const helperPath = await ensureHelmHelper();
  // The CLI finds the helper through this override, as the packaged app finds its bundled one.
  process.env.FLUXDECK_HELM_HELPER = helperPath;
  helm = await ensureTool('helm');
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-helmcli-'));
  charts = await startChartRepo();
  const packer = new HelmClient({ path: helperPath });
  try {
    chartTgz = (await packer.call('package', { path: join(fixtures, 'five'), destDir: join(work, 'pkg') })).path;
  } finally {
    await packer.dispose();
  }
  await charts.add({ name: 'five', version: '1.0.0', path: chartTgz });
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'helmcli',
    helmHelper: helperPath,
  });
  await fluxdeck.connect(cluster.name);
  await client.create({
    apiVersion: REPO.apiVersion,
    kind: 'HelmRepository',
    metadata: { name: 'charts', namespace: NS },
    spec: { url: charts.url, interval: '10m' },
  });
  await client.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-values', namespace: NS },
    data: { 'values.yaml': 'greeting: from-configmap\ncolor: red\nreplicas: 2\n' },
  });
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'web-secrets', namespace: NS },
    stringData: { token: 's3cret-token' },
  });
  await client.create(
    helmRelease('web', {
      valuesFrom: [
        { kind: 'ConfigMap', name: 'web-values' },
        { kind: 'Secret', name: 'web-secrets', valuesKey: 'token', targetPath: 'token' },
      ],
      values: { color: 'blue' },
      postRenderers: [
        {
          kustomize: {
            patches: [
              {
                target: { kind: 'ConfigMap' },
                patch: '- op: add\n  path: /metadata/labels\n  value: {patched: "yes"}\n',
              },
            ],
          },
        },
      ],
      commonMetadata: { labels: { team: 'web' }, annotations: { 'example.com/owner': 'ops' } },
    }),
  );
  await waitForReady<HelmRelease>(client, HR, NS, 'web', readyAt(1), 180_000);
  // A second revision, so the release was made by an upgrade (.Release.IsUpgrade), as the next one would be.
  await client.patch({ ...HR, namespace: NS, name: 'web' }, { spec: { values: { color: 'green' } } }, 'merge', {
    fieldManager: 'test',
  });
  await waitForReady<HelmRelease>(client, HR, NS, 'web', readyAt(2), 180_000);
}, 600_000);

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await charts.close();
  await rm(work, { recursive: true, force: true });
});

describe('fluxdeck helm template', () => {
  it('prints exactly the manifest the controller applied (values merged, post-renderers, commonMetadata, origin labels)', async () => {
    const { code, out, err } = await fluxdeckCli('helm', 'template', 'web');
    expect(err).toContain('chart five@1.0.0 from HelmChart helmcli/helmcli-web@1.0.0');
    expect(code).toBe(0);
    const { stdout: applied } = await run(helm, ['get', 'manifest', 'web', '-n', NS], { env: helmEnv() });
    expect(objectsOf(out)).toEqual(objectsOf(applied));
    const cm = objectsOf(out).find((o) => o.kind === 'ConfigMap') as KubeObject & { data: Record<string, string> };
    expect(cm.data).toEqual({ greeting: 'from-configmap', color: 'green', upgrade: 'true' });
    expect(cm.metadata.labels).toEqual({
      patched: 'yes',
      team: 'web',
      'helm.toolkit.fluxcd.io/name': 'web',
      'helm.toolkit.fluxcd.io/namespace': NS,
    });
    expect(cm.metadata.annotations).toEqual({ 'example.com/owner': 'ops' });
  });

  it('equals `helm template` of the same chart and values, apart from what the post-renderers add', async () => {
    // The values as Flux merges them, written out by hand: ConfigMap document, Secret at targetPath, inline on top.
    const valuesFile = join(work, 'web-values.yaml');
    await writeFile(valuesFile, 'greeting: from-configmap\ncolor: green\nreplicas: 2\ntoken: s3cret-token\n');
    const { stdout: reference } = await run(
      helm,
      ['template', 'web', chartTgz, '-n', NS, '-f', valuesFile, '--is-upgrade'],
      { env: helmEnv() },
    );
    const { code, out } = await fluxdeckCli('helm', 'template', 'web');
    expect(code).toBe(0);
    expect(objectsOf(out, true)).toEqual(objectsOf(reference, true));
    expect(objectsOf(out)).toHaveLength(5);
  });

  it('renders a local chart with --chart, and says clearly when the HelmRelease does not exist', async () => {
    const local = await fluxdeckCli('helm', 'template', 'web', '--chart', join(fixtures, 'five'));
    expect(local.code).toBe(0);
    expect(local.err).toContain(`from ${join(fixtures, 'five')}`);
    expect(objectsOf(local.out)).toHaveLength(5);
    const missing = await fluxdeckCli('helm', 'template', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`HelmRelease ${NS}/nope not found`);
  });
});

describe('fluxdeck diff helmrelease', () => {
  it('reports no changes for a release in sync (exit 0)', async () => {
    const { code, err } = await fluxdeckCli('diff', 'helmrelease', 'web');
    expect(err).toContain('against release revision 2');
    expect(err).toContain('✔ no changes (5 objects)');
    expect(code).toBe(0);
  });

  it('shows what an upgrade would change after a values edit and a hand edit of a live object (exit 1)', async () => {
    // Suspended, so the controller does not upgrade before we diff.
    await client.patch({ ...HR, namespace: NS, name: 'web' }, { spec: { suspend: true } }, 'merge', {
      fieldManager: 'test',
    });
    await client.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'web-values' },
      { data: { 'values.yaml': 'greeting: changed-in-configmap\ncolor: red\nreplicas: 3\n' } },
      'merge',
      { fieldManager: 'test' },
    );
    await client.patch(
      { apiVersion: 'v1', kind: 'Service', namespace: NS, name: 'web' },
      { metadata: { labels: { 'edited-by': 'hand' } } },
      'merge',
      { fieldManager: 'kubectl-edit' },
    );
    const { code, out } = await fluxdeckCli('diff', 'helmrelease', 'web');
    expect(code).toBe(1);
    expect(out).toContain('► ConfigMap/helmcli/web-config drifted');
    expect(out).toContain('~ data.greeting: from-configmap → changed-in-configmap');
    expect(out).toContain('► Deployment/helmcli/web drifted');
    expect(out).toContain('~ spec.replicas: 2 → 3');
    // A label someone else set is theirs under server-side apply: the upgrade leaves it, so it is no change.
    expect(out).not.toContain('Service/helmcli/web');
  });
});

describe('editor preview of a HelmRelease edit', () => {
  it('renders the edited HelmRelease (values and a valuesFrom ConfigMap from the work tree) and diffs it against live', async () => {
    const live = await client.get<HelmRelease>({ ...HR, namespace: NS, name: 'web' });
    // What a work tree's build would hold: the HelmRelease with new inline values, and its values ConfigMap edited.
    const editedHr: HelmRelease = {
      apiVersion: HR.apiVersion,
      kind: 'HelmRelease',
      metadata: { name: 'web', namespace: NS },
      spec: { ...live.spec, values: { color: 'purple' } },
    };
    const editedValues: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-values', namespace: NS },
      data: { 'values.yaml': 'greeting: from-configmap\nreplicas: 4\n' },
    };
    const ks: Kustomization = {
      apiVersion: fluxKinds.Kustomization.apiVersion,
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: NS },
      spec: { interval: '10m', path: './', prune: false, sourceRef: { kind: 'GitRepository', name: 'apps' } },
    };
    const helmDeps = {
      helm: new HelmClient({ path: await ensureHelmHelper() }),
      store: fluxdeck.store,
      kubeAccess: () => ({ kubeconfig: readFileSync(cluster.kubeconfig, 'utf8'), trusted: true }),
    };
    try {
      const rows = await previewObjects({ client, signal: AbortSignal.timeout(60_000), helm: helmDeps }, ks, [
        editedHr,
        editedValues,
      ]);
      expect(rows.find((r) => r.ref.kind === 'HelmRelease' && !r.renderedBy)?.action).toBe('update');
      const rendered = rows.filter((r) => r.renderedBy?.name === 'web');
      expect(rendered.map((r) => r.error)).toEqual(rendered.map(() => undefined));
      const cm = rendered.find((r) => r.ref.kind === 'ConfigMap' && r.ref.name === 'web-config');
      expect(cm?.action).toBe('update');
      expect(cm?.changes).toContainEqual(
        expect.objectContaining({ path: 'data.color', live: 'green', desired: 'purple' }),
      );
      const deployment = rendered.find((r) => r.ref.kind === 'Deployment');
      expect(deployment?.changes).toContainEqual(expect.objectContaining({ path: 'spec.replicas', desired: 4 }));
      expect(rendered.find((r) => r.ref.kind === 'ServiceAccount')?.action).toBe('unchanged');
    } finally {
      await helmDeps.helm.dispose();
    }
  });
});

describe('HelmRelease controller: valuesFrom watch', () => {
  it('a change of a ConfigMap labelled reconcile.fluxcd.io/watch: Enabled upgrades the releases using it, unasked', async () => {
    await client.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched-values', namespace: NS, labels: { 'reconcile.fluxcd.io/watch': 'Enabled' } },
      data: { 'values.yaml': 'greeting: first\n' },
    });
    await client.create(helmRelease('watched', { valuesFrom: [{ kind: 'ConfigMap', name: 'watched-values' }] }));
    await waitForReady<HelmRelease>(client, HR, NS, 'watched', readyAt(1), 180_000);
    await client.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'watched-values' },
      { data: { 'values.yaml': 'greeting: second\n' } },
      'merge',
      { fieldManager: 'test' },
    );
    // No requestedAt and a 10m interval: only the watch can bring the upgrade.
    const hr = await waitForReady<HelmRelease>(
      client,
      HR,
      NS,
      'watched',
      (c, o) => c.status === 'True' && o.status?.history?.[0]?.version === 2,
      120_000,
    );
    expect(hr.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBeUndefined();
    const cm = await client.get<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'watched-config',
    });
    expect(cm.data.greeting).toBe('second');
  });
});

describe('HelmRelease controller: driftDetection.ignore', () => {
  it('leaves an ignored field changed by hand, and puts back every other drifted field', async () => {
    await client.create(
      helmRelease('ignoring', {
        driftDetection: { mode: 'enabled', ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment' } }] },
      }),
    );
    await waitForReady<HelmRelease>(client, HR, NS, 'ignoring', readyAt(1), 180_000);
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'ignoring' };
    const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'ignoring-config' };
    // An autoscaler's change (ignored) and a hand edit (drift).
    await client.patch(dep, { spec: { replicas: 3 } }, 'merge', { fieldManager: 'autoscaler' });
    await client.patch(cmRef, { data: { greeting: 'edited by hand' } }, 'merge', { fieldManager: 'kubectl-edit' });
    await reconcileNow('ignoring');
    const cm = await client.get<KubeObject & { data: Record<string, string> }>(cmRef);
    expect(cm.data.greeting).toBe('hello');
    const deployment = await client.get<KubeObject & { spec: { replicas: number } }>(dep);
    expect(deployment.spec.replicas).toBe(3);
  });
});

describe('HelmRelease controller: upgrade.preserveValues', () => {
  it('an upgrade keeps the values of the last release under the new ones, and a no-op reconcile makes no revision', async () => {
    await client.create(helmRelease('keep', { values: { color: 'one', greeting: 'hi' } }));
    await waitForReady<HelmRelease>(client, HR, NS, 'keep', readyAt(1), 180_000);
    await client.patch(
      { ...HR, namespace: NS, name: 'keep' },
      { spec: { values: { color: null, greeting: 'again' }, upgrade: { preserveValues: true } } },
      'merge',
      { fieldManager: 'test' },
    );
    await waitForReady<HelmRelease>(client, HR, NS, 'keep', readyAt(2), 180_000);
    const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'keep-config' };
    const cm = await client.get<KubeObject & { data: Record<string, string> }>(cmRef);
    expect(cm.data).toMatchObject({ color: 'one', greeting: 'again' });
    const hr = await reconcileNow('keep');
    expect(hr.status?.history?.[0]?.version).toBe(2);
  });
});
