import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';

import { fluxKinds } from '../../main/flux/kinds.ts';
import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../cluster/control-plane.ts';
import { clientFor, eventually } from '../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../support/git-server.ts';
import { deploymentYaml, serviceYaml } from '../support/manifests.ts';
import { type Browser, launchBrowser } from './support/browser.ts';
import { Cleanup, seedFlux, stopServe } from './support/flux-seed.ts';
import { clearScreenshots, FluxdeckPage, screenshot } from './support/fluxdeck-page.ts';
import { type ServeProcess, startServe } from './support/fluxdeck-serve.ts';
import { mergeKubeconfigs } from './support/kubeconfig-merge.ts';

// The desktop UI in a real browser against `fluxdeck serve`, the real engine, the real control plane and a real git
// server: what a user sees and does, from connecting a context to reconciling, suspending and resuming.

const cluster = inject('cluster');
const NS = 'flux-system';
const APP_NS = 'podinfo';

const deployment = (replicas: number): string =>
  deploymentYaml(replicas, 'ghcr.io/stefanprodan/podinfo:6.7.0', 'podinfo');

let git: GitServer;
let bare: string;
let repoUrl: string;
let second: RunningCluster;
let client: ClusterClient;
let secondClient: ClusterClient;
let work: string;
let serve: ServeProcess;
let browser: Browser;
let ui: FluxdeckPage;
const cleanup = new Cleanup();

const ids = {
  git: (c: string) => `${c}|source.toolkit.fluxcd.io|GitRepository|${NS}|podinfo`,
  ks: (c: string) => `${c}|kustomize.toolkit.fluxcd.io|Kustomization|${NS}|podinfo`,
  deploy: (c: string) => `${c}|apps|Deployment|${APP_NS}|podinfo`,
};

async function getKs(
  c: ClusterClient = client,
): Promise<KubeObject & { spec: { suspend?: boolean }; status?: { lastHandledReconcileAt?: string } }> {
  const obj = await c.tryGet<
    KubeObject & { spec: { suspend?: boolean }; status?: { lastHandledReconcileAt?: string } }
  >({
    apiVersion: fluxKinds.Kustomization.apiVersion,
    kind: 'Kustomization',
    namespace: NS,
    name: 'podinfo',
  });
  if (!obj) throw new Error('Kustomization flux-system/podinfo is gone');
  return obj;
}

const seed = (c: ClusterClient): Promise<void> =>
  seedFlux(c, { namespace: NS, name: 'podinfo', url: repoUrl, targetNamespace: APP_NS, sourceInterval: '1m' });

beforeAll(async () => {
  // Screenshots of this run only (they are the run's artifacts); the other suites clear their own.
  await clearScreenshots(/^0\d-/);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-e2e-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  git = await startGitServer();
  cleanup.push(() => git.close());
  repoUrl = await git.createRepo('podinfo');
  bare = git.repoPath('podinfo');
  await commitFiles(
    bare,
    { 'deploy/deployment.yaml': deployment(1), 'deploy/service.yaml': serviceYaml('podinfo') },
    { message: 'podinfo' },
  );
  // A second, API-only cluster: enough for its Flux objects to appear next to the first one's.
  second = await startCluster({ name: 'e2e-second', dir: join(work, 'second'), tier: 'api', ownerPid: process.pid });
  cleanup.push(() => second.stop());
  client = await clientFor(cluster.kubeconfig);
  cleanup.push(() => Promise.resolve(client.close()));
  secondClient = await clientFor(second.kubeconfig);
  cleanup.push(() => Promise.resolve(secondClient.close()));
  await seed(client);
  await seed(secondClient);
  const kubeconfig = join(work, 'kubeconfig');
  await mergeKubeconfigs([cluster.kubeconfig, second.kubeconfig], kubeconfig);
  serve = await startServe({ kubeconfig, dataDir: join(work, 'data') });
  cleanup.push(() => stopServe(serve));
  browser = await launchBrowser();
  cleanup.push(() => browser.close());
  ui = new FluxdeckPage(browser.page);
});

afterAll(() => cleanup.run());

describe('fluxdeck serve in a browser', () => {
  it('refuses a wrong token, on the page and on the socket', async () => {
    const wrong = await fetch(`${serve.origin}/?token=not-the-token`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('start token');
    const page = await browser.context.newPage();
    const wrongToken = serve.token.slice(0, -1) + (serve.token.endsWith('A') ? 'B' : 'A');
    const response = await page.goto(`${serve.origin}/?token=${wrongToken}`);
    expect(response?.status()).toBe(401);
    await screenshot(page, '01-wrong-token');
    await page.close();
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${serve.origin.replace('http', 'ws')}/api/ws`, {
        headers: { authorization: 'Bearer nope', origin: serve.origin },
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
    });
    expect(status).toBe(401);
  });

  it('shows GitRepository → Kustomization → Deployment with health once the context is connected', async () => {
    await browser.page.goto(serve.url);
    await ui.cluster(cluster.name).waitFor();
    await ui.screenshot('02-contexts');
    await ui.connect(cluster.name);
    await ui.search('podinfo');
    const deploy = ui.node('Deployment', 'podinfo', cluster.name);
    await deploy.and(browser.page.locator('[data-status=ready]')).waitFor({ timeout: 120_000 });
    await expect
      .poll(() => ui.node('GitRepository', 'podinfo', cluster.name).getAttribute('data-status'))
      .toBe('ready');
    await expect
      .poll(() => ui.node('Kustomization', 'podinfo', cluster.name).getAttribute('data-status'))
      .toBe('ready');
    await expect.poll(() => ui.edge('source', ids.git(cluster.name), ids.ks(cluster.name)).count()).toBe(1);
    await expect.poll(() => ui.edge('inventory', ids.ks(cluster.name), ids.deploy(cluster.name)).count()).toBe(1);
    await ui.screenshot('03-graph-healthy');
  });

  it('reconciles with source: the new commit reaches the cluster and the node shows its revision', async () => {
    const before = (await getKs()).status?.lastHandledReconcileAt;
    const commit = await commitFiles(bare, { 'deploy/deployment.yaml': deployment(2) }, { message: 'scale to 2' });
    await ui.select('Kustomization', 'podinfo', cluster.name);
    await browser.page.getByTestId('reconcile-with-source').click();
    await ui.progress().and(browser.page.locator('[data-phase=succeeded]')).waitFor({ timeout: 120_000 });
    await ui.screenshot('04-reconciled');
    const after = (await getKs()).status?.lastHandledReconcileAt;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    await expect
      .poll(() => ui.node('Kustomization', 'podinfo', cluster.name).textContent(), { timeout: 30_000 })
      .toContain(commit.slice(0, 7));
    await eventually('the Deployment to be scaled to 2', async () => {
      const d = await client.tryGet<KubeObject & { spec: { replicas: number } }>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: APP_NS,
        name: 'podinfo',
      });
      return d?.spec.replicas === 2 ? true : undefined;
    });
  });

  it('reconciles on Shift+R and reports the result', async () => {
    const before = (await getKs()).status?.lastHandledReconcileAt;
    await ui.select('Kustomization', 'podinfo', cluster.name);
    await browser.page.keyboard.press('Shift+R');
    await ui.progress().and(browser.page.locator('[data-phase=succeeded]')).waitFor({ timeout: 120_000 });
    await expect.poll(async () => (await getKs()).status?.lastHandledReconcileAt).not.toBe(before);
  });

  it('suspends and resumes, in the cluster and on the node', async () => {
    await ui.select('Kustomization', 'podinfo', cluster.name);
    await browser.page.getByTestId('suspend').click();
    await ui
      .node('Kustomization', 'podinfo', cluster.name)
      .and(browser.page.locator('[data-suspended=true]'))
      .waitFor({ timeout: 60_000 });
    expect((await getKs()).spec.suspend).toBe(true);
    await ui.screenshot('05-suspended');
    await browser.page.getByTestId('resume').click();
    await ui
      .node('Kustomization', 'podinfo', cluster.name)
      .and(browser.page.locator('[data-suspended=false]'))
      .waitFor({ timeout: 60_000 });
    await ui.progress().and(browser.page.locator('[data-phase=succeeded]')).waitFor({ timeout: 120_000 });
    expect((await getKs()).spec.suspend).toBe(false);
  });

  it('diffs a suspended Kustomization against its source’s new revision', async () => {
    await ui.select('Kustomization', 'podinfo', cluster.name);
    await browser.page.getByTestId('suspend').click();
    await ui
      .node('Kustomization', 'podinfo', cluster.name)
      .and(browser.page.locator('[data-suspended=true]'))
      .waitFor({ timeout: 60_000 });
    const commit = await commitFiles(bare, { 'deploy/deployment.yaml': deployment(3) }, { message: 'scale to 3' });
    await ui.select('GitRepository', 'podinfo', cluster.name);
    await browser.page.keyboard.press('Shift+R');
    await ui.progress().and(browser.page.locator('[data-phase=succeeded]')).waitFor({ timeout: 120_000 });
    await expect
      .poll(() => ui.node('GitRepository', 'podinfo', cluster.name).textContent(), { timeout: 30_000 })
      .toContain(commit.slice(0, 7));
    await ui.select('Kustomization', 'podinfo', cluster.name);
    await browser.page.keyboard.press('d');
    const diff = browser.page.getByTestId('diff');
    await diff.waitFor({ timeout: 120_000 });
    await expect.poll(() => diff.textContent()).toContain('Deployment');
    expect(await diff.textContent()).toMatch(/spec\.replicas: 2 → 3/);
    await ui.screenshot('06-diff');
    await browser.page.getByTestId('resume').click();
    await ui.progress().and(browser.page.locator('[data-phase=succeeded]')).waitFor({ timeout: 120_000 });
  });

  it('shows a second cluster in the same graph', async () => {
    await ui.connect('e2e-second');
    await ui.search('kind:git podinfo');
    await ui.node('GitRepository', 'podinfo', 'e2e-second').waitFor({ timeout: 120_000 });
    await ui.node('GitRepository', 'podinfo', cluster.name).waitFor();
    await expect.poll(() => browser.page.locator('[data-testid=cluster-section]').count()).toBe(2);
    await ui.search('');
    await browser.page.keyboard.press('Escape');
    await browser.page.keyboard.press('Escape');
    await browser.page.keyboard.press('f');
    await browser.page.waitForTimeout(400);
    await ui.screenshot('07-two-clusters');
  });

  it('shows what the engine spends per cluster and kind, refreshed while open', async () => {
    await browser.page.getByTestId('open-costs').click();
    const costs = browser.page.getByTestId('costs');
    const ks = costs.locator(`tr[data-cluster="${cluster.name}"][data-kind="Kustomization"]`);
    await ks.waitFor();
    // Reconciles per minute and the p50/p99 cells are measured numbers, not placeholders.
    await expect.poll(async () => Number(await ks.locator('td').nth(4).textContent())).toBeGreaterThan(0);
    await expect.poll(() => ks.locator('td').nth(6).textContent()).toMatch(/^\d+(\.\d)? m?s$/);
    await expect.poll(() => costs.locator('tr[data-cluster="e2e-second"]').count()).toBeGreaterThan(0);
    expect(await browser.page.getByTestId('costs-process').textContent()).toMatch(/Memory \d/);
    await ui.screenshot('08-costs');
    await browser.page.mouse.click(5, 5); // outside the dialog
    await expect.poll(() => costs.count()).toBe(0);
  });
});
