import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import { clientFor, installCrds } from '../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../support/git-server.ts';
import type { Browser } from './support/browser.ts';
import { Cleanup } from './support/flux-seed.ts';
import { clearScreenshots, type FluxdeckPage } from './support/fluxdeck-page.ts';
import type { ServeProcess } from './support/fluxdeck-serve.ts';
import { startServeSession } from './support/serve-session.ts';

// The bootstrap wizard in a real browser against `fluxdeck serve`, the real control plane and the real git server
// (basic auth): an empty URL is a field error, a wrong password ends at the clone with advice, and the run with the
// right one, cancelled, says Cancelled; tried again, it pushes flux-system and ends with it Ready and a link that
// selects it in the graph.

const cluster = inject('cluster');
const NS = 'wizard-e2e';
const AUTH = { username: 'fleet', password: 'wizard-pw-1' };

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
  // Bootstrapping into an empty repository is the SSH branch's work; this one has a first commit.
  await commitFiles(git.repoPath('fleet'), { 'README.md': '# fleet\n' });
  client = await clientFor(cluster.kubeconfig);
  cleanup.push(() => Promise.resolve(client.close()));
  // Other suites share this cluster and may have installed them already; a session connected before the CRDs exist
  // also starts once the bootstrap installs them (test/integration/handoff/bootstrap-wizard.test.ts).
  await installCrds(client);
  cleanup.push(() =>
    client.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).then(
      () => undefined,
      () => undefined, // not created when the bootstrap failed early
    ),
  );
  ({ serve, browser, ui } = await startServeSession(cluster.kubeconfig, work, cleanup));
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
    await expect(page.getByTestId('bootstrap-mode-in-cluster').isDisabled()).resolves.toBe(false);

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

  it(
    'bootstraps with the right password after a cancel: steps live, flux-system Ready, and a link to it in the graph',
    { timeout: 300_000 },
    async () => {
      const page = browser.page;
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(`${e.message}\n${e.stack ?? ''}`));
      // Cancel as soon as it runs: the wizard says so (no red failure) and offers to try again.
      await page.getByTestId('bootstrap-password').fill(AUTH.password);
      await page.getByTestId('bootstrap-start').click();
      await page.getByTestId('bootstrap-cancel').click();
      const cancelled = page.getByTestId('bootstrap-cancelled');
      await cancelled.waitFor({ timeout: 60_000 });
      expect(await cancelled.textContent()).toMatch(/Cancelled\..*running the bootstrap again finishes it/);
      await expect(page.getByTestId('bootstrap-failed').count()).resolves.toBe(0);
      await expect(page.locator('[data-testid=bootstrap-step][data-state=failed]').count()).resolves.toBe(0);
      await expect(page.locator('[data-testid=bootstrap-step][data-state=cancelled]').count()).resolves.toBeGreaterThan(
        0,
      );
      await expect(page.getByTestId('bootstrap-start').textContent()).resolves.toBe('Try again');
      // The emptied password is not marked as a mistake; its field says to enter it again.
      await expect(page.locator('[data-testid^=bootstrap-error-]').count()).resolves.toBe(0);
      await expect(page.locator('[data-field=password]').textContent()).resolves.toMatch(/Enter it again to retry/);
      await ui.screenshot('95-bootstrap-cancelled');

      // The password left with the cancelled request: enter it again and retry.
      await page.getByTestId('bootstrap-password').fill(AUTH.password);
      await page.getByTestId('bootstrap-start').click();
      await page.locator('[data-testid=bootstrap-step][data-state=done]').first().waitFor({ timeout: 60_000 });
      await ui.screenshot('92-bootstrap-progress');
      const done = page.getByTestId('bootstrap-done');
      try {
        await done.waitFor({ timeout: 60_000 });
      } catch (err) {
        await ui.screenshot('93-bootstrap-not-finished');
        const steps = await page.locator('body').innerText();
        throw new Error(
          `the bootstrap did not finish; page errors: ${pageErrors.join('\n')}; page: ${steps}\nserve:\n${serve.output().slice(-3000)}`,
          {
            cause: err,
          },
        );
      }
      expect(await done.textContent()).toMatch(/flux-system is Ready/);
      expect(await page.content()).not.toContain(AUTH.password);
      await ui.screenshot('93-bootstrap-done');
      await page.getByTestId('bootstrap-show').click();
      await page.getByTestId('bootstrap-wizard').waitFor({ state: 'detached' });
      await ui.screenshot('94-bootstrap-in-graph');
    },
  );
});
