import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import { clientFor } from '../support/flux-fixture.ts';
import { type GitServer, startGitServer } from '../support/git-server.ts';
import { type Browser, launchBrowser } from './support/browser.ts';
import { Cleanup, stopServe } from './support/flux-seed.ts';
import { clearScreenshots, FluxdeckPage } from './support/fluxdeck-page.ts';
import { type ServeProcess, startServe } from './support/fluxdeck-serve.ts';

// The bootstrap wizard in a real browser against `fluxdeck serve`, the real control plane and the real git server
// (basic auth): an empty URL is a field error, a wrong password ends at the clone with advice, and the real bootstrap
// pushes flux-system, reconciles it to Ready and links to it in the graph. Its own namespace keeps it apart from the
// other suites' flux-system objects in the shared cluster.

const cluster = inject('cluster');
const NS = 'wizard-e2e';
const AUTH = { username: 'fleet', password: 'wizard-pw-1' };
const exec = promisify(execFile);

let work: string;
let git: GitServer;
let url: string;
let client: ClusterClient;
let serve: ServeProcess;
let browser: Browser;
let ui: FluxdeckPage;
const cleanup = new Cleanup();

beforeAll(async () => {
  await clearScreenshots(/^9\d-/);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-e2e-wizard-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  git = await startGitServer({ auth: { basic: AUTH } });
  cleanup.push(() => git.close().then(() => rm(git.root, { recursive: true, force: true })));
  url = await git.createRepo('fleet');
  client = await clientFor(cluster.kubeconfig);
  cleanup.push(() => Promise.resolve(client.close()));
  cleanup.push(() => client.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).then(() => undefined));
  serve = await startServe({ kubeconfig: cluster.kubeconfig, dataDir: join(work, 'data') });
  cleanup.push(() => stopServe(serve));
  browser = await launchBrowser();
  cleanup.push(() => browser.close());
  ui = new FluxdeckPage(browser.page);
}, 300_000);

afterAll(() => cleanup.run());

describe('the bootstrap wizard', () => {
  it('shows a field error for an empty URL, and the clone error with advice for a wrong password', async () => {
    const page = browser.page;
    await page.goto(serve.url);
    await ui.connect(cluster.name);
    await page.keyboard.press('Control+k');
    await page.getByTestId('palette').locator('input').first().fill(`bootstrap ${cluster.name}`);
    await page.keyboard.press('Enter');
    const wizard = page.getByTestId('bootstrap-wizard');
    await wizard.waitFor();
    await expect(page.getByTestId('bootstrap-path').inputValue()).resolves.toMatch(/^clusters\//);
    await expect(page.getByTestId('bootstrap-mode-in-cluster').isDisabled()).resolves.toBe(true);

    await page.getByTestId('bootstrap-start').click();
    await expect(page.getByTestId('bootstrap-error-url').textContent()).resolves.toMatch(
      /Enter the repository’s URL, e\.g\. https:/,
    );
    await page.getByTestId('bootstrap-url').fill(url);
    await page.getByTestId('bootstrap-path').fill('clusters/wizard');
    await page.getByTestId('bootstrap-namespace').fill(NS);
    await page.getByTestId('bootstrap-username').fill(AUTH.username);
    await page.getByTestId('bootstrap-password').fill('wrong-password');
    await ui.screenshot('90-bootstrap-form');
    await page.getByTestId('bootstrap-start').click();
    const failed = page.getByTestId('bootstrap-failed');
    await failed.waitFor({ timeout: 60_000 });
    const text = (await failed.textContent()) ?? '';
    expect(text).toMatch(/cannot clone/);
    expect(text).toMatch(/Check the username and the password or token/);
    expect(text).not.toContain('wrong-password');
    await expect(page.locator('[data-testid=bootstrap-step][data-state=failed]').count()).resolves.toBeGreaterThan(0);
    await ui.screenshot('91-bootstrap-wrong-password');
  });

  it('bootstraps into the git server: steps live, flux-system Ready, and a link to it in the graph', async () => {
    const page = browser.page;
    await page.getByTestId('bootstrap-password').fill(AUTH.password);
    await page.getByTestId('bootstrap-start').click();
    await page.locator('[data-testid=bootstrap-step][data-state=done]').first().waitFor({ timeout: 60_000 });
    await ui.screenshot('92-bootstrap-progress');
    await page.getByTestId('bootstrap-done').waitFor({ timeout: 240_000 });
    const steps = await page.getByTestId('bootstrap-steps').textContent();
    expect(steps).toContain('pushed to main');
    expect(steps).toMatch(/Kustomization wizard-e2e\/flux-system/);
    await ui.screenshot('93-bootstrap-done');
    const pushed = (
      await exec('git', ['-C', git.repoPath('fleet'), 'show', 'main:clusters/wizard/flux-system/gotk-sync.yaml'])
    ).stdout;
    expect(pushed).toContain(`namespace: ${NS}`);

    await page.getByTestId('bootstrap-show').click();
    const panel = page.locator('[data-testid=object-panel][data-kind=Kustomization][data-name=flux-system]');
    await panel.waitFor({ timeout: 30_000 });
    await expect.poll(() => ui.panelStatus().textContent(), { timeout: 60_000 }).toMatch(/Ready/i);
    await page
      .locator(`[data-testid=cluster-section][data-cluster="${cluster.name}"] [data-testid=section-engine]`)
      .waitFor({ timeout: 60_000 });
    await ui.screenshot('94-bootstrap-graph');
  });
});
