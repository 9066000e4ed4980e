import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { ImagePolicy, ImageRepository, ImageUpdateAutomation } from '../../main/flux/image.ts';
import { fluxKinds } from '../../main/flux/kinds.ts';
import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import { clientFor, ensureNamespace, gitRepository, installCrds, waitForReady } from '../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../support/git-server.ts';
import { pushImageTags } from '../support/image-tags.ts';
import { type RegistryServer, startRegistry } from '../support/registry.ts';
import { type Browser, launchBrowser } from './support/browser.ts';
import { Cleanup, stopServe } from './support/flux-seed.ts';
import { clearScreenshots, FluxdeckPage } from './support/fluxdeck-page.ts';
import { type ServeProcess, startServe } from './support/fluxdeck-serve.ts';

// Image automation in a real browser against `fluxdeck serve`: a repository with a thousand tags in the real
// registry, scanned and selected by serve's controllers; the ImagePolicy's Tags tab (virtual list, the selected tag
// and why), the fleet images view with the Deployment that runs an older tag highlighted, and the "new image"
// info item in the inbox.

const cluster = inject('cluster');
const NS = 'images-e2e';
const REPO = { apiVersion: fluxKinds.ImageRepository.apiVersion, kind: 'ImageRepository' };
const POLICY = { apiVersion: fluxKinds.ImagePolicy.apiVersion, kind: 'ImagePolicy' };
/** 1.0.0 … 1.9.99 (1000 tags), a pre-release above them and two that are not versions. */
const TAGS = [
  ...Array.from({ length: 1000 }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`),
  '2.0.0-rc.1',
  'latest',
  'main-abc123',
];

let work: string;
let registry: RegistryServer;
let gitServer: GitServer;
let client: ClusterClient;
let serve: ServeProcess;
let browser: Browser;
let ui: FluxdeckPage;
const cleanup = new Cleanup();

const ids = {
  repo: `${cluster.name}|image.toolkit.fluxcd.io|ImageRepository|${NS}|web`,
  policy: `${cluster.name}|image.toolkit.fluxcd.io|ImagePolicy|${NS}|web`,
  automation: `${cluster.name}|image.toolkit.fluxcd.io|ImageUpdateAutomation|${NS}|web`,
  git: `${cluster.name}|source.toolkit.fluxcd.io|GitRepository|${NS}|fleet`,
};
const AUTO = { apiVersion: fluxKinds.ImageUpdateAutomation.apiVersion, kind: 'ImageUpdateAutomation' };

beforeAll(async () => {
  await clearScreenshots(/^7\d-/);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-e2e-images-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  registry = await startRegistry();
  cleanup.push(() => registry.stop());
  await pushImageTags(registry.host, 'apps/web', TAGS);
  client = await clientFor(cluster.kubeconfig);
  cleanup.push(() => Promise.resolve(client.close()));
  await installCrds(client);
  await ensureNamespace(client, NS);
  const image = `${registry.host}/apps/web`;
  await client.create<ImageRepository>({
    ...REPO,
    kind: 'ImageRepository',
    metadata: { name: 'web', namespace: NS },
    spec: { image, interval: '10m', insecure: true },
  });
  await client.create<ImagePolicy>({
    ...POLICY,
    kind: 'ImagePolicy',
    metadata: { name: 'web', namespace: NS },
    spec: { imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '>=1.0.0 <2.0.0' } } },
  });
  for (const [name, tag] of [
    ['web', '1.9.97'],
    ['web-canary', '1.9.99'],
  ] as const)
    await client.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'web', image: `${image}:${tag}` }] },
        },
      },
    });
  // A repository whose manifest names the policy: serve's automation moves it from 1.9.97 to 1.9.99 and pushes.
  gitServer = await startGitServer();
  cleanup.push(() => gitServer.close());
  const url = await gitServer.createRepo('fleet');
  await commitFiles(
    gitServer.repoPath('fleet'),
    {
      'apps/web.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: web',
        `          image: ${image}:1.9.97 # {"$imagepolicy": "${NS}:web"}`,
        '',
      ].join('\n'),
    },
    { message: 'first' },
  );
  await client.create(gitRepository(NS, 'fleet', url));
  await client.create<ImageUpdateAutomation>({
    ...AUTO,
    kind: 'ImageUpdateAutomation',
    metadata: { name: 'web', namespace: NS },
    spec: {
      sourceRef: { kind: 'GitRepository', name: 'fleet' },
      interval: '10m',
      git: { commit: { author: { name: 'Fluxdeck Bot', email: 'bot@example.com' } }, push: { branch: 'main' } },
      update: { strategy: 'Setters', path: './apps' },
    },
  });
  serve = await startServe({ kubeconfig: cluster.kubeconfig, dataDir: join(work, 'data') });
  cleanup.push(() => stopServe(serve));
  cleanup.push(async () => {
    await client
      .delete({ apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', namespace: NS, name: 'fleet' })
      .catch(() => undefined);
    for (const kind of [AUTO, POLICY, REPO])
      await client.delete({ ...kind, namespace: NS, name: 'web' }).catch(() => undefined);
  });
  browser = await launchBrowser();
  cleanup.push(() => browser.close());
  ui = new FluxdeckPage(browser.page);
}, 600_000);

afterAll(() => cleanup.run());

describe('image automation in the browser', () => {
  it('shows the ImagePolicy’s scanned tags with the selected one and why', async () => {
    await browser.page.goto(serve.url);
    await ui.connect(cluster.name);
    await waitForReady(client, POLICY, NS, 'web', (c) => c.status === 'True', 180_000);
    await ui.search(`ns:${NS}`);
    await ui.node('ImagePolicy', 'web', cluster.name).waitFor({ timeout: 60_000 });
    // Edges are drawn once ELK's layout arrives, which takes a few seconds on a busy machine.
    await expect.poll(() => ui.edge('source', ids.repo, ids.policy).count(), { timeout: 30_000 }).toBe(1);
    await ui.select('ImagePolicy', 'web', cluster.name);
    await browser.page.getByRole('tab', { name: /Tags/ }).click();
    const panel = browser.page.getByTestId('image-policy');
    await panel.waitFor({ timeout: 60_000 });
    expect(await browser.page.getByTestId('policy-rule').textContent()).toContain('>=1.0.0 <2.0.0');
    expect(await browser.page.getByTestId('policy-passed').textContent()).toBe(`${TAGS.length} of ${TAGS.length} tags`);
    expect(await browser.page.getByTestId('policy-selected').textContent()).toContain('1.9.99');
    // A virtual list: a thousand tags, a few dozen rows in the DOM, the selected one scrolled into view.
    const rows = browser.page.getByTestId('policy-tag');
    expect(await rows.count()).toBeLessThan(80);
    const selected = browser.page.locator('[data-testid=policy-tag][data-selected=true]');
    await selected.waitFor();
    expect(await selected.getAttribute('data-tag')).toBe('1.9.99');
    await ui.screenshot('70-image-policy-tags');
  });

  it('shows in the fleet images view which tag runs where and highlights the Deployment behind the policy', async () => {
    await browser.page.getByTestId('open-fleet-images').click();
    const card = browser.page.locator(`[data-testid=fleet-image][data-image="${registry.host}/apps/web"]`);
    await card.waitFor({ timeout: 60_000 });
    await expect.poll(() => card.locator('[data-testid=fleet-run]').count(), { timeout: 60_000 }).toBe(2);
    expect(await card.getAttribute('data-differs')).toBe('true');
    expect(await card.getByTestId('fleet-want').textContent()).toContain('1.9.99');
    const differing = card.locator('[data-testid=fleet-run][data-differs=true]');
    expect(await differing.count()).toBe(1);
    expect(await differing.textContent()).toContain('1.9.97');
    await ui.screenshot('71-fleet-images');
    // Only where they differ, and the policy link goes back to the graph with the policy selected.
    await browser.page.getByTestId('fleet-only-differing').check();
    expect(await card.isVisible()).toBe(true);
    await card.getByTestId('fleet-want').click();
    await browser.page
      .locator(`[data-testid=object-panel][data-kind=ImagePolicy][data-name=web]`)
      .waitFor({ timeout: 10_000 });
  });

  it('keeps "new image selected" in the inbox as info', async () => {
    await browser.page.getByTestId('view-inbox').click();
    const item = ui.inboxItem('image-update', 'new image 1.9.99 selected for web');
    await item.first().waitFor({ timeout: 60_000 });
    await ui.screenshot('72-inbox-image-update');
  });

  it('shows what the automation pushed, each file’s diff, and a preview of its next run', async () => {
    await waitForReady<ImageUpdateAutomation>(
      client,
      AUTO,
      NS,
      'web',
      (c, o) => c.status === 'True' && o.status?.lastPushCommit !== undefined,
      180_000,
    );
    await ui.showGraph();
    await ui.node('ImageUpdateAutomation', 'web', cluster.name).waitFor({ timeout: 60_000 });
    // ImagePolicy → automation → GitRepository: the loop back to Git.
    await expect.poll(() => ui.edge('source', ids.policy, ids.automation).count(), { timeout: 30_000 }).toBe(1);
    // The panel covers the right of the graph: fit (the toolbar's button) so the GitRepository is in view.
    await ui.select('ImageUpdateAutomation', 'web', cluster.name);
    await browser.page.locator('button[title="Fit the graph (F)"]').click();
    // ... → automation → GitRepository: drawn even after React Flow re-measured the node from the DOM.
    await expect.poll(() => ui.edge('source', ids.automation, ids.git).count(), { timeout: 30_000 }).toBe(1);
    // Fit animates: the screenshot waits until the GitRepository is clear of the panel.
    const panelLeft = (await browser.page.getByTestId('object-panel').boundingBox())?.x ?? 0;
    const git = ui.node('GitRepository', 'fleet', cluster.name);
    await expect
      .poll(async () => {
        const box = await git.boundingBox();
        return box !== null && box.x + box.width <= panelLeft;
      })
      .toBe(true);
    await ui.screenshot('75-automation-graph');
    await browser.page.getByRole('tab', { name: /Commits/ }).click();
    const commits = browser.page.getByTestId('automation-commit');
    await expect.poll(() => commits.count(), { timeout: 30_000 }).toBe(1);
    await ui.screenshot('73-automation-commits');
    await commits.first().getByTestId('commit-file').click();
    const dialog = browser.page.getByTestId('image-diff-dialog');
    await dialog.locator('.view-line').first().waitFor({ timeout: 60_000 });
    await expect.poll(() => dialog.textContent()).toContain('1.9.99');
    await ui.screenshot('74-automation-commit-diff');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await browser.page.getByTestId('preview-next-run').click();
    const result = browser.page.getByTestId('preview-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toContain('Nothing to commit');
    await browser.page.getByTestId('view-inbox').click();
    await ui.inboxItem('image-update', 'pushed commit').first().waitFor({ timeout: 30_000 });
    // Created together, the policy may reconcile before the first scan and the automation before the policy selected
    // an image: both are waits (info, or nothing), not errors. Only this suite's objects count: the suites before it
    // leave sources in the shared cluster whose servers have stopped.
    const errors = await browser.page.locator('[data-testid=inbox-item][data-severity=error]').allTextContents();
    expect(errors.filter((text) => text.includes(`${NS}/`))).toEqual([]);
    await ui.screenshot('76-inbox-after-automation');
  });
});
