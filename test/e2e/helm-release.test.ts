import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { HelmRelease } from '../../main/flux/helm.ts';
import { fluxKinds } from '../../main/flux/kinds.ts';
import { HelmClient } from '../../main/helm/index.ts';
import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../main/util/kube-object.ts';
import type { ChartRepo } from '../support/chart-repo-server.ts';
import { clientFor, ensureNamespace, eventually, installCrds, waitForReady } from '../support/flux-fixture.ts';
import { helmRepository, startTestChartRepo, testHelmRelease } from '../support/helm-chart-fixture.ts';
import { ensureHelmHelper } from '../support/helm-helper.ts';
import { type Browser, launchBrowser } from './support/browser.ts';
import { Cleanup, stopServe } from './support/flux-seed.ts';
import { clearScreenshots, FluxdeckPage } from './support/fluxdeck-page.ts';
import { type ServeProcess, startServe } from './support/fluxdeck-serve.ts';

// A Helm release in a real browser against `fluxdeck serve` with the real Helm helper: the graph runs
// HelmRepository → HelmChart → HelmRelease → Deployment, the panel's Release tab shows the history, and a rollback
// goes through its confirmation (a diff of both revisions' manifests) and leaves the HelmRelease suspended.

const cluster = inject('cluster');
const NS = 'helm-e2e';
const HR = { apiVersion: fluxKinds.HelmRelease.apiVersion, kind: 'HelmRelease' };

let work: string;
let repo: ChartRepo;
let client: ClusterClient;
let serve: ServeProcess;
let browser: Browser;
let ui: FluxdeckPage;
let helperPath: string;
const cleanup = new Cleanup();

const ids = {
  repo: `${cluster.name}|source.toolkit.fluxcd.io|HelmRepository|${NS}|charts`,
  chart: `${cluster.name}|source.toolkit.fluxcd.io|HelmChart|${NS}|${NS}-web`,
  hr: `${cluster.name}|helm.toolkit.fluxcd.io|HelmRelease|${NS}|web`,
  deploy: `${cluster.name}|apps|Deployment|${NS}|web-web`,
};

const getHr = async (): Promise<HelmRelease | undefined> =>
  client.tryGet<HelmRelease>({ ...HR, namespace: NS, name: 'web' });

async function removeRelease(): Promise<void> {
  const key = { ...HR, namespace: NS, name: 'web' };
  if (await getHr()) {
    await client.patch(key, { spec: { suspend: false } }, 'merge', { fieldManager: 'e2e' });
    await client.delete(key);
    await eventually('the HelmRelease to be gone', async () => ((await getHr()) ? undefined : true), 120_000);
  }
  await client.delete({
    apiVersion: fluxKinds.HelmRepository.apiVersion,
    kind: 'HelmRepository',
    namespace: NS,
    name: 'charts',
  });
}

beforeAll(async () => {
  await clearScreenshots(/^4\d-/);
  helperPath = await ensureHelmHelper();
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-e2e-helm-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  repo = await startTestChartRepo(helperPath, work);
  cleanup.push(() => repo.close());
  client = await clientFor(cluster.kubeconfig);
  cleanup.push(() => Promise.resolve(client.close()));
  await installCrds(client);
  await ensureNamespace(client, NS);
  await client.create(helmRepository(NS, 'charts', repo.url));
  await client.create(testHelmRelease(NS, 'web', 'charts', { values: { greeting: 'hello from Git' } }));
  serve = await startServe({
    kubeconfig: cluster.kubeconfig,
    dataDir: join(work, 'data'),
    env: { FLUXDECK_HELM_HELPER: helperPath },
  });
  cleanup.push(() => stopServe(serve));
  // Runs before serve stops, so its controller's finalizer uninstalls the release: the suites after this one see
  // a cluster without it.
  cleanup.push(removeRelease);
  browser = await launchBrowser();
  cleanup.push(() => browser.close());
  ui = new FluxdeckPage(browser.page);
}, 600_000);

afterAll(() => cleanup.run());

describe('a HelmRelease in the browser', () => {
  it('shows HelmRepository → HelmChart → HelmRelease → Deployment once the release is installed', async () => {
    await browser.page.goto(serve.url);
    await ui.connect(cluster.name);
    await waitForReady(client, HR, NS, 'web', (c) => c.status === 'True', 180_000);
    // A second revision to roll back from.
    await client.patch({ ...HR, namespace: NS, name: 'web' }, { spec: { values: { replicas: 2 } } }, 'merge', {
      fieldManager: 'e2e',
    });
    await waitForReady<HelmRelease>(
      client,
      HR,
      NS,
      'web',
      (c, o) => c.status === 'True' && o.status?.history?.[0]?.version === 2,
      180_000,
    );
    await ui.search(`ns:${NS}`);
    await ui.node('Deployment', 'web-web', cluster.name).waitFor({ timeout: 60_000 });
    await expect.poll(() => ui.edge('source', ids.repo, ids.chart).count()).toBe(1);
    await expect.poll(() => ui.edge('source', ids.chart, ids.hr).count()).toBe(1);
    await expect.poll(() => ui.edge('inventory', ids.hr, ids.deploy).count()).toBe(1);
    await expect.poll(() => ui.node('HelmRelease', 'web', cluster.name).getAttribute('data-status')).toBe('ready');
    // The search box has the focus, so fit with the toolbar's button rather than the F key.
    await browser.page.locator('button[title="Fit the graph (F)"]').click();
    await browser.page.waitForTimeout(400);
    await ui.screenshot('40-helm-graph');
  });

  it('shows the release history, values and tests in the Release tab', async () => {
    await ui.select('HelmRelease', 'web', cluster.name);
    await browser.page.keyboard.press('h');
    const rows = browser.page.getByTestId('helm-history-row');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(2);
    expect(await rows.first().getAttribute('data-revision')).toBe('2');
    expect(await rows.first().textContent()).toContain('hello@1.0.0');
    expect(await rows.nth(1).getAttribute('data-status')).toBe('superseded');
    const values = browser.page.locator('[data-testid=helm-value]');
    await expect.poll(() => values.count()).toBe(2);
    expect(await browser.page.locator('[data-testid=helm-value][data-key=greeting]').textContent()).toContain(
      'hello from Git',
    );
    await ui.screenshot('41-helm-release-panel');
  });

  it('asks before uninstalling, naming the release and its namespace; Cancel leaves everything in place', async () => {
    await browser.page.getByTestId('helm-uninstall').click();
    const dialog = browser.page.getByTestId('uninstall-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`Uninstall release web from namespace ${NS}?`);
    // Nothing manages this HelmRelease, so there is no Kustomization to suspend.
    expect(await browser.page.getByTestId('uninstall-managed').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await getHr()).toBeDefined();
  });

  it('rolls back to revision 1 through the confirmation, suspending the HelmRelease first', async () => {
    await browser.page.locator('[data-testid=helm-history-row][data-revision="1"] [data-testid=helm-rollback]').click();
    const dialog = browser.page.getByTestId('rollback-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Resume it to return to the state in Git');
    const diff = browser.page.getByTestId('rollback-diff');
    await diff.locator('.view-line').first().waitFor({ timeout: 60_000 });
    await expect.poll(() => diff.textContent()).toContain('replicas');
    await ui.screenshot('42-helm-rollback-confirm');
    await browser.page.getByTestId('confirm-rollback').click();
    await ui.progress().and(browser.page.locator('[data-phase=succeeded]')).waitFor({ timeout: 180_000 });
    expect((await getHr())?.spec.suspend).toBe(true);
    const helper = new HelmClient({ path: helperPath });
    try {
      const kube = { kubeconfig: await readFile(cluster.kubeconfig, 'utf8') };
      const status = await helper.call('status', { kube, releaseName: 'web', namespace: NS });
      expect(status).toMatchObject({ version: 3, description: 'Rollback to 1' });
    } finally {
      await helper.dispose();
    }
    await eventually('the Deployment back at 1 replica', async () => {
      const d = await client.tryGet<KubeObject & { spec: { replicas: number } }>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: NS,
        name: 'web-web',
      });
      return d?.spec.replicas === 1 ? true : undefined;
    });
    const rows = browser.page.getByTestId('helm-history-row');
    await expect.poll(() => rows.first().getAttribute('data-revision'), { timeout: 30_000 }).toBe('3');
    await ui
      .node('HelmRelease', 'web', cluster.name)
      .and(browser.page.locator('[data-suspended=true]'))
      .waitFor({ timeout: 30_000 });
    await ui.screenshot('43-helm-rolled-back');
  });
});
