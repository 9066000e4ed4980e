import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../main/util/kube-object.ts';
import { clientFor, eventually } from '../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../support/git-server.ts';
import { deploymentYaml, serviceYaml } from '../support/manifests.ts';
import { type RegistryServer, startRegistry } from '../support/registry.ts';
import { type Browser, launchBrowser } from './support/browser.ts';
import { Cleanup, seedFlux, stopServe } from './support/flux-seed.ts';
import { clearScreenshots, FluxdeckPage } from './support/fluxdeck-page.ts';
import { type ServeProcess, startServe } from './support/fluxdeck-serve.ts';

// Changing what is in Git from the UI, and never missing a failure, in a real browser against `fluxdeck serve`, the
// real engine, the real control plane and a real git server: edit a Deployment in the editor, see the dry-run diff,
// commit and push (through a server that moved meanwhile), follow the reconcile to the new revision; a broken
// manifest becomes an inbox error whose acknowledgement survives a restart; a kubectl-edit the Kustomization puts
// back shows as drift naming the field and the field manager; a Flux object edited in place is patched the way Flux's
// docs tell people to.

const exec = promisify(execFile);
const cluster = inject('cluster');
const NS = 'flux-system';
const APP_NS = 'editor-apps';
const NAME = 'editor';

const service = serviceYaml('web');

let git: GitServer;
let registry: RegistryServer;
let bare: string;
let client: ClusterClient;
let work: string;
let dataDir: string;
let serve: ServeProcess;
let browser: Browser;
let ui: FluxdeckPage;
const cleanup = new Cleanup();

const gitLog = async (format: string): Promise<string> =>
  (await exec('git', ['--git-dir', bare, 'log', '-1', `--format=${format}`, 'main'])).stdout.trim();
const gitShow = async (path: string): Promise<string> =>
  (await exec('git', ['--git-dir', bare, 'show', `main:${path}`])).stdout;

async function replicas(): Promise<number | undefined> {
  const d = await client.tryGet<KubeObject & { spec: { replicas?: number } }>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: APP_NS,
    name: 'web',
  });
  return d?.spec.replicas;
}

/** Restarts `fluxdeck serve` on the same data directory and opens the new URL (the token changes at every start). */
async function restartServe(): Promise<void> {
  await stopServe(serve);
  serve = await startServe({ kubeconfig: cluster.kubeconfig, dataDir });
  await browser.page.goto(serve.url);
  await ui.connect(cluster.name);
}

beforeAll(async () => {
  await clearScreenshots(/^[1-3]\d-/);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-e2e-editor-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  dataDir = join(work, 'data');
  [git, registry] = await Promise.all([startGitServer(), startRegistry()]);
  cleanup.push(() => git.close());
  cleanup.push(() => registry.stop());
  const url = await git.createRepo(NAME);
  bare = git.repoPath(NAME);
  await commitFiles(
    bare,
    { 'deploy/deployment.yaml': deploymentYaml(1), 'deploy/service.yaml': service },
    { message: 'web' },
  );
  client = await clientFor(cluster.kubeconfig);
  cleanup.push(() => Promise.resolve(client.close()));
  await seedFlux(client, { namespace: NS, name: NAME, url, targetNamespace: APP_NS, sourceInterval: '10m' });
  serve = await startServe({ kubeconfig: cluster.kubeconfig, dataDir });
  cleanup.push(() => stopServe(serve));
  browser = await launchBrowser();
  cleanup.push(() => browser.close());
  ui = new FluxdeckPage(browser.page);
  await browser.page.goto(serve.url);
  await ui.connect(cluster.name);
  await ui.search(NAME);
  await ui
    .node('Kustomization', NAME, cluster.name)
    .and(browser.page.locator('[data-status=ready]'))
    .waitFor({ timeout: 120_000 });
});

afterAll(() => cleanup.run());

describe('editing what is in Git', () => {
  it('blocks a commit with invalid YAML and says where, previews the diff, pushes through a moved server, and follows the reconcile to the new revision', async () => {
    const page = browser.page;
    await ui.select('GitRepository', NAME, cluster.name);
    await page.getByTestId('edit-in-git').click();
    await ui.openFile('deploy/service.yaml');
    // A line the YAML parser refuses (a nested mapping on one line).
    await page.keyboard.press('Control+End');
    await page.keyboard.type('broken: a: b');
    await page.keyboard.press('Control+S');
    await ui.openFile('deploy/deployment.yaml');
    await ui.editorLine('replicas:').click();
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('3');
    await expect.poll(() => ui.tab('deployment.yaml').getAttribute('data-dirty')).toBe('true');
    await page.keyboard.press('Control+S');
    await expect.poll(() => ui.tab('deployment.yaml').getAttribute('data-dirty')).toBe('false');
    await ui.screenshot('10-editor');

    await page.getByTestId('review-changes').click();
    await page.getByTestId('preview').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('yaml-problems').textContent()).toContain('deploy/service.yaml:');
    await page.getByTestId('commit-message').fill('Scale web to 3');
    await page.getByTestId('author-name').fill('Fluxdeck E2E');
    await page.getByTestId('author-email').fill('e2e@fluxdeck.test');
    await page.getByTestId('commit-and-push').click();
    const blocked = page.getByTestId('commit-box').getByTestId('yaml-problems');
    await blocked.waitFor();
    expect(await blocked.textContent()).toMatch(/Commit blocked.*deploy\/service\.yaml:8:\d+/);
    await ui.screenshot('11-invalid-yaml-blocks-commit');
    const before = await gitLog('%H');

    // The problem's location opens the file with the cursor on it: delete that line and save.
    await blocked.getByTestId('yaml-problem').first().click();
    await expect.poll(() => ui.tab('service.yaml').getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Control+Shift+K');
    await page.keyboard.press('Control+S');
    await expect.poll(() => ui.tab('service.yaml').getAttribute('data-dirty')).toBe('false');

    await page.getByTestId('review-tab').click();
    await page.getByRole('button', { name: 'Preview again' }).click();
    await page.getByTestId('preview').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId('review').getByTestId('yaml-problems').count()).toBe(0);
    const web = page.locator('[data-testid=preview-object][data-kind=Deployment][data-name=web]');
    expect(await web.getAttribute('data-action')).toBe('update');
    await web.click();
    const row = page.locator('[data-testid=object-diff] [data-testid=field-changes] [data-path="spec.replicas"]');
    await row.waitFor();
    expect(await row.locator('.fields__live').textContent()).toBe('1');
    expect(await row.locator('.fields__desired').textContent()).toBe('3');
    await page.getByTestId('diff-editor').locator('.view-line', { hasText: 'replicas: 3' }).first().waitFor();
    await ui.screenshot('12-preview');

    // Someone pushes first: the push says so and offers to fetch and re-apply the edit.
    await commitFiles(bare, { 'README.md': '# web\n' }, { message: 'docs' });
    await page.getByTestId('commit-and-push').click();
    await page.locator('[data-testid=commit-outcome][data-step=remote-moved]').waitFor({ timeout: 60_000 });
    await ui.screenshot('13-remote-moved');
    expect(await gitLog('%s')).toBe('docs');
    await page.getByTestId('reapply').click();
    const pushed = page.locator('[data-testid=commit-outcome][data-step=pushed]');
    await pushed.waitFor({ timeout: 60_000 });

    expect(await gitLog('%s')).toBe('Scale web to 3');
    expect(await gitLog('%an <%ae>')).toBe('Fluxdeck E2E <e2e@fluxdeck.test>');
    expect(await gitShow('deploy/deployment.yaml')).toContain('replicas: 3');
    // The invalid line was deleted again (Monaco's delete-line also takes the file's last newline with it).
    expect((await gitShow('deploy/service.yaml')).trimEnd()).toBe(service.trimEnd());
    expect(await gitShow('README.md')).toBe('# web\n');
    const head = await gitLog('%H');
    expect(head).not.toBe(before);
    expect(await pushed.getAttribute('data-commit')).toBe(head);

    await page
      .locator(`[data-testid=reconcile-after-push][data-name=${NAME}][data-phase=succeeded]`)
      .waitFor({ timeout: 180_000 });
    await ui.screenshot('14-pushed-and-reconciled');
    await eventually('the Deployment to be scaled to 3', async () => ((await replicas()) === 3 ? true : undefined));
    await ui.showGraph();
    await expect
      .poll(() => ui.node('Kustomization', NAME, cluster.name).textContent(), { timeout: 30_000 })
      .toContain(head.slice(0, 7));
    await ui.screenshot('15-graph-new-revision');
  });
});

describe('pushing a directory of the work tree as an OCI artifact', () => {
  it('pushes it with the branch head as revision, then reconciles the OCIRepository that follows it', async () => {
    const page = browser.page;
    const repoUrl = `oci://${registry.host}/fleet/${NAME}`;
    await client.create({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'OCIRepository',
      metadata: { namespace: NS, name: `${NAME}-oci` },
      spec: { url: repoUrl, ref: { tag: 'latest' }, insecure: true, interval: '10m' },
    });
    await ui.select('GitRepository', NAME, cluster.name);
    await page.getByTestId('edit-in-git').click();
    await page.getByTestId('open-artifact-push').click();
    const form = page.getByTestId('artifact-push');
    await form.getByTestId('artifact-dir').selectOption('deploy');
    await form.getByTestId('artifact-url').fill(`${repoUrl}:latest`);
    await page.keyboard.press('Escape'); // closes the URL suggestions, which cover the checkbox below
    await form.getByLabel('Plain HTTP').check();
    await form.getByTestId('artifact-submit').click();
    const pushed = form.getByTestId('artifact-pushed');
    await pushed.or(form.getByTestId('artifact-error')).waitFor({ timeout: 60_000 });
    expect(await form.getByTestId('artifact-error').count(), (await form.textContent()) ?? '').toBe(0);
    const head = await gitLog('%H');
    expect(await pushed.textContent()).toContain(`main@sha1:${head.slice(0, 7)}`);
    expect(await pushed.textContent()).toMatch(/Pushed 2 files/);
    await ui.screenshot('16-artifact-pushed');

    await form.getByRole('button', { name: `Reconcile OCIRepository ${NS}/${NAME}-oci` }).click();
    const revision = await eventually('the OCIRepository to fetch the pushed artifact', async () => {
      const o = await client.get<KubeObject & { status?: { artifact?: { revision?: string } } }>({
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'OCIRepository',
        namespace: NS,
        name: `${NAME}-oci`,
      });
      return o.status?.artifact?.revision;
    });
    expect(revision).toMatch(/^latest@sha256:[0-9a-f]{64}$/);
  });
});

describe('the inbox', () => {
  it('shows a broken manifest as an error, and its acknowledgement survives a restart', async () => {
    const page = browser.page;
    await commitFiles(
      bare,
      {
        'deploy/kustomization.yaml':
          'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n  - missing.yaml\n',
      },
      { message: 'break it' },
    );
    await ui.select('Kustomization', NAME, cluster.name);
    await page.getByTestId('reconcile-with-source').click();
    await ui.progress().and(page.locator('[data-phase=failed]')).waitFor({ timeout: 120_000 });
    await page.getByTestId('inbox-badge').waitFor();
    await page.getByTestId('view-inbox').click();
    const item = ui.inboxItem('reconcile-failed', NAME);
    await item.first().waitFor({ timeout: 30_000 });
    const id = await item.first().getAttribute('data-id');
    await item.first().click();
    const detail = page.locator(`[data-testid=inbox-detail][data-id="${id}"]`);
    expect(await detail.textContent()).toContain('missing.yaml');
    await page.getByTestId('inbox-acknowledge').click();
    await page.locator(`[data-testid=inbox-detail][data-id="${id}"][data-acknowledged=true]`).waitFor();
    await ui.screenshot('20-inbox-acknowledged');

    await restartServe();
    await page.getByTestId('view-inbox').click();
    await page.getByTestId('inbox-state-all').click();
    const again = page.locator(`[data-testid=inbox-item][data-id="${id}"]`);
    await again.waitFor({ timeout: 30_000 });
    expect(await again.getAttribute('data-acknowledged')).toBe('true');
    await again.click();
    await page.locator(`[data-testid=inbox-detail][data-id="${id}"][data-acknowledged=true]`).waitFor();
    await ui.screenshot('21-inbox-after-restart');

    // Repair the repository for what follows.
    await commitFiles(bare, { 'deploy/kustomization.yaml': null }, { message: 'fix it' });
    await ui.showGraph();
    await ui.search(NAME);
    await ui.select('Kustomization', NAME, cluster.name);
    await page.getByTestId('reconcile-with-source').click();
    await ui.progress().and(page.locator('[data-phase=succeeded]')).waitFor({ timeout: 180_000 });
  });

  it('explains a kubectl edit the Kustomization put back: the field, the values and the field manager', async () => {
    const page = browser.page;
    await client.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: APP_NS, name: 'web' },
      { spec: { replicas: 7 } },
      'merge',
      { fieldManager: 'kubectl-edit' },
    );
    await ui.select('Kustomization', NAME, cluster.name);
    await page.keyboard.press('Shift+R');
    await ui.progress().and(page.locator('[data-phase=succeeded]')).waitFor({ timeout: 180_000 });
    expect(await replicas()).toBe(3);

    await page.getByTestId('view-inbox').click();
    const item = ui.inboxItem('drift-corrected', NAME);
    await item.first().waitFor({ timeout: 30_000 });
    await item.first().click();
    const row = page.locator(
      '[data-testid=inbox-detail] [data-testid=drift-table] [data-subject="Deployment/editor-apps/web"] [data-path="spec.replicas"]',
    );
    await row.waitFor();
    expect(await row.getAttribute('data-manager')).toBe('kubectl-edit');
    expect(await row.locator('.fields__live').textContent()).toBe('7');
    expect(await row.locator('.fields__desired').textContent()).toBe('3');
    await ui.screenshot('30-inbox-drift');

    // From the drifted object to its panel: the Drift tab tells the same story.
    await page.locator('[data-testid=inbox-detail] [data-subject="Deployment/editor-apps/web"] button.link').click();
    await page.locator('[data-testid=object-panel][data-kind=Deployment][data-name=web]').waitFor();
    const panelRow = page.locator('[data-testid=drift-records] [data-path="spec.replicas"]').first();
    await panelRow.waitFor({ timeout: 30_000 });
    expect(await panelRow.getAttribute('data-manager')).toBe('kubectl-edit');
    // Let the graph finish centring the node before the picture.
    await page.waitForTimeout(500);
    await ui.screenshot('31-panel-drift');
  });
});

describe('editing a Flux object in place', () => {
  it('applies an edited Kustomization as a merge patch with the field manager Flux tells people to use', async () => {
    const page = browser.page;
    await ui.select('Kustomization', NAME, cluster.name);
    await page.getByTestId('edit-object').click();
    const tab = ui.tab(`Kustomization ${NAME}`);
    await tab.and(page.locator('[aria-selected=true]')).waitFor();
    await ui.editorLine('interval: 10m').click();
    await page.keyboard.press('End');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('15m');
    await expect.poll(() => tab.getAttribute('data-dirty')).toBe('true');
    await page.getByTestId('apply-object').click();
    await expect.poll(() => tab.getAttribute('data-dirty'), { timeout: 30_000 }).toBe('false');
    const ks = await client.get<KubeObject & { spec: { interval: string } }>({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      namespace: NS,
      name: NAME,
    });
    expect(ks.spec.interval).toBe('15m');
    const managers = (ks.metadata.managedFields ?? []).map((m) => (m as { manager?: string }).manager);
    expect(managers).toContain('flux-client-side-apply');
    await ui.screenshot('40-object-applied');
  });
});
