/**
 * A page object for the Fluxdeck UI: what the end-to-end tests do and look for, in the user's terms. Selectors are
 * the data attributes the components expose for exactly this (data-testid, data-kind, data-status...).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Locator, Page } from 'playwright-core';

import { appRoot } from '../../../main/util/paths.ts';

export const SCREENSHOTS = join(appRoot(), 'test-results', 'e2e');

export class FluxdeckPage {
  readonly page: Page;

  constructor(page: Page) {
    this.page = page;
  }

  cluster(name: string): Locator {
    return this.page.locator(`[data-testid=cluster-row][data-cluster="${name}"]`);
  }

  /** Connects a context from the sidebar (a no-op if `fluxdeck serve` already connected it at start). */
  async connect(name: string): Promise<void> {
    const row = this.cluster(name);
    await row.waitFor();
    if ((await row.getAttribute('data-state')) !== 'connected') await row.locator('[data-testid=connect]').click();
    await this.cluster(name).and(this.page.locator('[data-state=connected]')).waitFor({ timeout: 60_000 });
  }

  /** A graph node; filter the graph to it first when the graph is large (only visible nodes are in the DOM). */
  node(kind: string, name: string, cluster?: string): Locator {
    const c = cluster === undefined ? '' : `[data-cluster="${cluster}"]`;
    return this.page.locator(`[data-testid=graph-node][data-kind="${kind}"][data-name="${name}"]${c}`);
  }

  async search(text: string): Promise<void> {
    const box = this.page.getByTestId('search');
    await box.fill(text);
  }

  async select(kind: string, name: string, cluster?: string): Promise<void> {
    await this.showGraph();
    await this.node(kind, name, cluster).first().click();
    await this.page.locator(`[data-testid=object-panel][data-kind="${kind}"][data-name="${name}"]`).waitFor();
  }

  /** Switches the main area to the graph (from the editor or the inbox). */
  async showGraph(): Promise<void> {
    const tab = this.page.getByTestId('view-graph');
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  }

  panelStatus(): Locator {
    return this.page.getByTestId('panel-status');
  }

  progress(): Locator {
    return this.page.getByTestId('action-progress');
  }

  /** An edge drawn between two nodes (React Flow tags it `rf__edge-<id>`; our ids are `role:source->target`). */
  edge(role: 'source' | 'inventory' | 'depends', from: string, to: string): Locator {
    return this.page.locator(`[data-testid="rf__edge-${role}:${from}->${to}"]`);
  }

  /** Opens a file of the work tree shown in the editor and waits until its tab is ready. */
  async openFile(path: string): Promise<void> {
    await this.page.locator(`[data-testid=work-tree-file][data-path="${path}"]`).click({ timeout: 120_000 });
    const name = path.slice(path.lastIndexOf('/') + 1);
    await this.page.locator(`[data-testid=editor-tab][data-title="${name}"][aria-selected=true]`).waitFor();
    await this.page.locator('[data-testid=code-editor] .view-line').first().waitFor();
  }

  /** A line of the code editor showing `text` (Monaco renders only the lines in view). */
  editorLine(text: string): Locator {
    return this.page.locator('[data-testid=code-editor] .view-line', { hasText: text }).first();
  }

  /** An editor tab by its title (a file name, or `Kind name` for a Flux object). */
  tab(title: string): Locator {
    return this.page.locator(`[data-testid=editor-tab][data-title="${title}"]`);
  }

  /** Inbox rows of one rule whose text mentions `text`. */
  inboxItem(rule: string, text: string): Locator {
    return this.page.locator(`[data-testid=inbox-item][data-rule="${rule}"]`, { hasText: text });
  }

  screenshot(name: string): Promise<string> {
    return screenshot(this.page, name);
  }
}

/**
 * Removes the screenshots a suite is about to take again (names matching `names`), so test-results/e2e holds this
 * run's pictures only, whichever suite runs first.
 */
export async function clearScreenshots(names: RegExp): Promise<void> {
  const files = await readdir(SCREENSHOTS).catch(() => []);
  await Promise.all(files.filter((f) => names.test(f)).map((f) => rm(join(SCREENSHOTS, f), { force: true })));
}

/** Saves a screenshot of `page` as test-results/e2e/<name>.png (kept as a test artifact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
