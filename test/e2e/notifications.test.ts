import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { fluxKinds } from '../../main/flux/kinds.ts';
import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import { clientFor, ensureNamespace, installCrds } from '../support/flux-fixture.ts';
import { type HttpSink, startHttpSink } from '../support/http-sink.ts';
import type { Browser } from './support/browser.ts';
import { Cleanup } from './support/flux-seed.ts';
import { clearScreenshots, type FluxdeckPage } from './support/fluxdeck-page.ts';
import type { ServeProcess } from './support/fluxdeck-serve.ts';
import { startServeSession } from './support/serve-session.ts';

// The Notifications view in a real browser against `fluxdeck serve` and the real control plane: Providers pointing
// at recording HTTP sinks on 127.0.0.1, "send test event" through each, the delivery rows it leaves (status code,
// error), and the local settings form, whose bad input is refused before anything is saved.

const cluster = inject('cluster');
const NS = 'notify-e2e';

let work: string;
let ok: HttpSink;
let failing: HttpSink;
let client: ClusterClient;
let serve: ServeProcess;
let browser: Browser;
let ui: FluxdeckPage;
const cleanup = new Cleanup();

const provider = (name: string, address: string) => ({
  apiVersion: fluxKinds.Provider.apiVersion,
  kind: 'Provider',
  metadata: { name, namespace: NS },
  spec: { type: 'generic', address },
});

beforeAll(async () => {
  await clearScreenshots(/^8\d-/);
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-e2e-notify-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  ok = await startHttpSink();
  cleanup.push(() => ok.close());
  failing = await startHttpSink();
  failing.answer = () => 500;
  cleanup.push(() => failing.close());
  client = await clientFor(cluster.kubeconfig);
  cleanup.push(() => Promise.resolve(client.close()));
  await installCrds(client);
  await ensureNamespace(client, NS);
  cleanup.push(() => client.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).then(() => undefined));
  await client.create(provider('team-hook', `${ok.url}/hook`));
  await client.create(provider('broken-hook', `${failing.url}/hook`));
  await client.create({
    apiVersion: fluxKinds.Alert.apiVersion,
    kind: 'Alert',
    metadata: { name: 'sources', namespace: NS },
    spec: { providerRef: { name: 'team-hook' }, eventSources: [{ kind: 'GitRepository', name: '*' }] },
  });
  ({ serve, browser, ui } = await startServeSession(cluster.kubeconfig, work, cleanup));
}, 300_000);

afterAll(() => cleanup.run());

describe('the Notifications view', () => {
  it('sends a test event through a Provider and shows the delivery: 200 from a working sink, the error from a failing one', async () => {
    const page = browser.page;
    await page.goto(serve.url);
    await ui.connect(cluster.name);
    await page.getByTestId('view-notifications').click();
    const card = (name: string) => page.locator(`[data-testid=provider][data-name="${name}"]`);
    await card('team-hook').and(page.locator('[data-health=ready]')).waitFor({ timeout: 60_000 });
    await expect(card('team-hook').textContent()).resolves.toContain('used by');

    await card('team-hook').getByTestId('send-test').click();
    await card('team-hook').locator('[data-testid=delivery][data-status="200"]').waitFor({ timeout: 30_000 });
    // The sink got Flux's event JSON, as notification-controller's generic provider posts it.
    const request = ok.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hook');
    const event = JSON.parse(request?.body ?? '{}') as { involvedObject?: { kind?: string }; severity?: string };
    expect(event.severity).toBe('info');
    expect(event.involvedObject?.kind).toBe('Provider');

    await card('broken-hook').getByTestId('send-test').click();
    const failed = card('broken-hook').locator('[data-testid=delivery][data-status="500"]');
    await failed.waitFor({ timeout: 60_000 });
    await expect(failed.textContent()).resolves.toMatch(/500/);
    expect(failing.requests.length).toBeGreaterThan(0);
    // The Alert is listed with its Provider.
    await expect(page.locator('[data-testid=alert]').first().textContent()).resolves.toContain('team-hook');
    await ui.screenshot('85-notifications');
  });

  it('refuses a settings form with a bad regular expression, naming it, and saves a good one to settings.json', async () => {
    const page = browser.page;
    await page.getByTestId('toggle-settings').click();
    const form = page.getByTestId('notification-settings');
    await form.waitFor();
    await page.getByTestId('os-severity').selectOption('info');
    await page.getByTestId('os-exclusion').fill('^Dependencies do not meet\n(unclosed');
    await page.getByTestId('save-settings').click();
    const outcome = page.getByTestId('settings-outcome');
    await expect.poll(() => outcome.textContent()).toMatch(/"\(unclosed" is not a valid regular expression/);
    const file = join(work, 'data', 'settings.json');
    const before = await readFile(file, 'utf8').catch(() => '');
    expect(before).not.toContain('unclosed');

    await page.getByTestId('os-exclusion').fill('^Dependencies do not meet');
    await page.getByTestId('save-settings').click();
    await expect.poll(() => outcome.textContent()).toBe('Saved.');
    const saved = JSON.parse(await readFile(file, 'utf8')) as {
      notifications?: { os?: { eventSeverity?: string; exclusionList?: string[] } };
    };
    expect(saved.notifications?.os?.eventSeverity).toBe('info');
    expect(saved.notifications?.os?.exclusionList).toEqual(['^Dependencies do not meet']);
    await ui.screenshot('86-notification-settings');
  });
});
