// The HelmRelease panel's workbench functions against the real control plane, the real Helm helper and a real chart
// repository: the release view (history, values with their origins, Secret values kept in main, tests), running
// the tests, rolling back with the HelmRelease suspended first, and uninstalling with the managing Kustomization
// suspended. The graph's view of the chain (HelmRepository → HelmChart → HelmRelease → workloads) is checked too.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { HelmReleaseKey } from '../../../main/contract/index.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import type { HelmRelease } from '../../../main/flux/helm.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import { HelmClient, isHelmError, type KubeAccess } from '../../../main/helm/index.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import type { ActionOptions, ProgressStep } from '../../../main/workbench/index.ts';
import type { ChartRepo } from '../../support/chart-repo-server.ts';
import { clientFor, ensureNamespace, eventually, installCrds, waitForReady } from '../../support/flux-fixture.ts';
import { helmRepository, startTestChartRepo, testHelmRelease } from '../../support/helm-chart-fixture.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';

const cluster = inject('cluster');
const NS = `hrui-${randomBytes(3).toString('hex')}`;
const HR = { apiVersion: fluxKinds.HelmRelease.apiVersion, kind: 'HelmRelease' };
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const key: HelmReleaseKey = { cluster: cluster.name, kind: 'HelmRelease', namespace: NS, name: 'web' };
const SECRET_TEXT = 'hunter2-not-for-the-renderer';

let work: string;
let repo: ChartRepo;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let helper: HelmClient;
let kube: KubeAccess;

const getHr = async (): Promise<HelmRelease | undefined> =>
  client.tryGet<HelmRelease>({ ...HR, namespace: NS, name: 'web' });

const replicasOf = async (): Promise<number | undefined> =>
  (
    await client.tryGet<KubeObject & { spec: { replicas: number } }>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: NS,
      name: 'web-web',
    })
  )?.spec.replicas;

/** Action options that record the progress steps. */
function recording(): ActionOptions & { steps: ProgressStep[] } {
  const steps: ProgressStep[] = [];
  return { signal: AbortSignal.timeout(240_000), onProgress: (s) => steps.push(s), steps };
}

beforeAll(async () => {
  const helperPath = await ensureHelmHelper();
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-hrui-'));
  repo = await startTestChartRepo(helperPath, work);
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  helper = new HelmClient({ path: helperPath });
  kube = { kubeconfig: await readFile(cluster.kubeconfig, 'utf8') };
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'hrui',
    helmHelper: helperPath,
  });
  await fluxdeck.connect(cluster.name);
  await client.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-values', namespace: NS },
    data: { 'values.yaml': 'greeting: from-configmap\nreplicas: 1\n' },
  });
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'web-secret', namespace: NS },
    stringData: { password: SECRET_TEXT },
  });
  // A Kustomization that (by its labels on the HelmRelease) manages it; its source does not exist, so it only fails.
  await client.create({
    apiVersion: KS.apiVersion,
    kind: 'Kustomization',
    metadata: { name: 'apps', namespace: NS },
    spec: { interval: '10m', path: './', prune: true, sourceRef: { kind: 'GitRepository', name: 'absent' } },
  });
  await client.create(helmRepository(NS, 'charts', repo.url));
  const hr = testHelmRelease(NS, 'web', 'charts', {
    valuesFrom: [
      { kind: 'ConfigMap', name: 'web-values' },
      { kind: 'Secret', name: 'web-secret', valuesKey: 'password', targetPath: 'auth.password' },
    ],
    values: { greeting: 'from-spec' },
  });
  hr.metadata.labels = { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': NS };
  await client.create(hr);
  await waitForReady(client, HR, NS, 'web', (c) => c.status === 'True', 180_000);
}, 600_000);

afterAll(async () => {
  await fluxdeck.stop();
  await helper.dispose();
  client.close();
  await repo.close();
  await rm(work, { recursive: true, force: true });
});

describe('the HelmRelease panel against a real release', () => {
  it('shows the chain HelmRepository → HelmChart → HelmRelease → Deployment in the engine snapshot', async () => {
    const snap = await eventually('the release’s Deployment in the snapshot', () => {
      const s = fluxdeck.workbench.snapshot();
      return Promise.resolve(s.workloads.some((w) => w.namespace === NS && w.name === 'web-web') ? s : undefined);
    });
    const hr = snap.objects.find((o) => o.kind === 'HelmRelease' && o.namespace === NS);
    const chart = snap.objects.find((o) => o.kind === 'HelmChart' && o.namespace === NS);
    expect(hr?.sourceRef).toEqual({
      group: 'source.toolkit.fluxcd.io',
      kind: 'HelmChart',
      namespace: NS,
      name: chart?.name,
    });
    expect(chart?.name).toBe(`${NS}-web`);
    expect(chart?.sourceRef).toMatchObject({ kind: 'HelmRepository', name: 'charts' });
    expect(snap.workloads.find((w) => w.name === 'web-web')?.helmRelease).toEqual({ namespace: NS, name: 'web' });
  });

  it('reads history, values with their origins (the Secret’s value stays in main) and the managing Kustomization', async () => {
    const view = await fluxdeck.workbench.helmReleases.view(key, AbortSignal.timeout(60_000));
    expect(view).toMatchObject({
      releaseName: 'web',
      targetNamespace: NS,
      storageNamespace: NS,
      driftMode: 'disabled',
    });
    expect(view.history).toEqual([
      expect.objectContaining({
        revision: 1,
        chart: 'hello@1.0.0',
        status: 'deployed',
        current: true,
        inHelm: true,
        inStatus: true,
      }),
    ]);
    expect(view.history[0]?.configDigest).toBe((await getHr())?.status?.history?.[0]?.configDigest);
    const byKey = Object.fromEntries(view.values.map((v) => [v.key, v]));
    expect(byKey.greeting).toMatchObject({ yaml: 'from-spec', masked: false });
    expect(byKey.greeting?.origins.map((o) => o.type)).toEqual(['ConfigMap', 'values']);
    expect(byKey.auth).toMatchObject({ masked: true });
    expect(byKey.auth?.yaml).toBeUndefined();
    expect(JSON.stringify(view)).not.toContain(SECRET_TEXT);
    expect(view.managedBy).toEqual({ namespace: NS, name: 'apps', suspended: false });
  });

  it('runs the chart’s tests and shows their results', async () => {
    const o = recording();
    const out = await fluxdeck.workbench.helmReleases.test(key, o);
    expect(out).toMatchObject({ ok: true, message: '1 test of revision 1 passed' });
    expect(o.steps.map((s) => s.message)).toContain(`running the tests of release ${NS}/web (helm test)`);
    const view = await fluxdeck.workbench.helmReleases.view(key, AbortSignal.timeout(60_000));
    expect(view.tests).toMatchObject({
      from: 'helm',
      revision: 1,
      results: [{ name: 'web-ping', phase: 'Succeeded' }],
    });
  });

  it('force upgrade makes a new revision without a spec change; reset is handled as helm-controller records it', async () => {
    const forced = await fluxdeck.workbench.helmReleases.forceUpgrade(key, recording());
    expect(forced.ok).toBe(true);
    const hr = await getHr();
    expect(hr?.status?.history?.[0]?.version).toBe(2);
    expect(hr?.status?.lastHandledForceAt).toBe(hr?.metadata.annotations?.['reconcile.fluxcd.io/forceAt']);
    const reset = await fluxdeck.workbench.helmReleases.reset(key, recording());
    expect(reset.ok).toBe(true);
    const after = await getHr();
    expect(after?.status?.lastHandledResetAt).toBe(after?.metadata.annotations?.['reconcile.fluxcd.io/resetAt']);
    // Nothing changed and nothing failed: a reset alone makes no new revision.
    expect(after?.status?.history?.[0]?.version).toBe(2);
  });

  it('previews and rolls back to revision 1 after suspending the HelmRelease, which stays suspended', async () => {
    await client.patch(
      { ...HR, namespace: NS, name: 'web' },
      { spec: { values: { greeting: 'from-spec', replicas: 2 } } },
      'merge',
      {
        fieldManager: 'test',
      },
    );
    await waitForReady<HelmRelease>(
      client,
      HR,
      NS,
      'web',
      (c, o) => c.status === 'True' && o.status?.history?.[0]?.version === 3,
      180_000,
    );
    const preview = await fluxdeck.workbench.helmReleases.rollbackPreview(key, 1, AbortSignal.timeout(60_000));
    expect(preview).toMatchObject({ currentRevision: 3, targetRevision: 1 });
    expect(preview.current).toContain('replicas: 2');
    expect(preview.target).toContain('replicas: 1');
    await expect(
      fluxdeck.workbench.helmReleases.rollbackPreview(key, 9, AbortSignal.timeout(60_000)),
    ).rejects.toMatchObject({
      code: 'not-found',
    });

    const o = recording();
    const out = await fluxdeck.workbench.helmReleases.rollback(key, 1, o);
    expect(out.ok).toBe(true);
    expect(out.message).toContain('resume it to return to the state in Git');
    expect(o.steps[0]?.message).toContain('suspending HelmRelease');
    expect((await getHr())?.spec.suspend).toBe(true);
    expect((await getHr())?.metadata.annotations?.['suspend.toolkit.fluxcd.io/reason']).toContain('revision 1');
    const status = await helper.call('status', { kube, releaseName: 'web', namespace: NS });
    expect(status).toMatchObject({ version: 4, status: 'deployed', description: 'Rollback to 1' });
    await eventually('the Deployment back at 1 replica', async () => ((await replicasOf()) === 1 ? true : undefined));
    const view = await fluxdeck.workbench.helmReleases.view(key, AbortSignal.timeout(60_000));
    expect(view.history.map((r) => [r.revision, r.status])).toEqual([
      [4, 'deployed'],
      [3, 'superseded'],
      [2, 'superseded'],
      [1, 'superseded'],
    ]);
  });

  it('uninstalls an unsuspended HelmRelease through its finalizer, leaving an unmanaged one’s neighbours alone', async () => {
    await client.create(testHelmRelease(NS, 'other', 'charts'));
    await waitForReady(client, HR, NS, 'other', (c) => c.status === 'True', 180_000);
    const other: HelmReleaseKey = { ...key, name: 'other' };
    expect((await fluxdeck.workbench.helmReleases.view(other, AbortSignal.timeout(60_000))).managedBy).toBeUndefined();
    const o = recording();
    const out = await fluxdeck.workbench.helmReleases.uninstall(other, { ...o, suspendKustomization: false });
    expect(out).toMatchObject({
      ok: true,
      message: `Uninstalled release ${NS}/other and deleted HelmRelease ${NS}/other.`,
    });
    // Not suspended: the controller's finalizer uninstalled it, Fluxdeck did not call helm uninstall itself.
    expect(o.steps.map((s) => s.message).join('\n')).not.toContain('helm uninstall');
    const gone = await helper.call('status', { kube, releaseName: 'other', namespace: NS }).then(
      () => false,
      (err: unknown) => isHelmError(err, 'ReleaseNotFound'),
    );
    expect(gone).toBe(true);
    expect(await replicasOf()).toBe(1);
  });

  it('uninstalls: suspends the managing Kustomization, removes the release and deletes the HelmRelease', async () => {
    const o = recording();
    const out = await fluxdeck.workbench.helmReleases.uninstall(key, { ...o, suspendKustomization: true });
    expect(out).toMatchObject({ ok: true });
    expect(out.message).toContain(`Uninstalled release ${NS}/web`);
    const ks = await client.tryGet<KubeObject & { spec: { suspend?: boolean } }>({
      ...KS,
      namespace: NS,
      name: 'apps',
    });
    expect(ks?.spec.suspend).toBe(true);
    expect(o.steps.map((s) => s.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('suspending Kustomization'),
        expect.stringContaining('helm uninstall'),
      ]),
    );
    expect(await getHr()).toBeUndefined();
    const gone = await helper.call('status', { kube, releaseName: 'web', namespace: NS }).then(
      () => false,
      (err: unknown) => isHelmError(err, 'ReleaseNotFound'),
    );
    expect(gone).toBe(true);
    await eventually('the Deployment to be gone', async () => ((await replicasOf()) === undefined ? true : undefined));
    await expect(fluxdeck.workbench.helmReleases.view(key, AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
