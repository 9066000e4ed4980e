import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type FleetServer, startFleetServer } from '../support/fleet-server.ts';
import { type Browser, launchBrowser } from './support/browser.ts';
import { clearScreenshots, screenshot } from './support/fluxdeck-page.ts';

// The graph's modes for large fleets, in a real browser: only the clusters in view are handed to React Flow, and
// zoomed far out nodes are plain blocks without labels. Neither may lose anything the user can see or do. The fleet
// comes from the in-memory engine port (as in `bench ui`): this is about the UI at a size a local control plane
// could not hold, not about the engine.

const CLUSTERS = ['prod-eu', 'prod-us', 'dev'];
let server: FleetServer;
let browser: Browser;
let page: Page;

const nodesOf = (cluster: string) => page.locator(`[data-testid=graph-node][data-cluster="${cluster}"]`);

async function zoom(): Promise<number> {
  return page.evaluate(() => {
    const t = document.querySelector<HTMLElement>('.react-flow__viewport')?.style.transform ?? '';
    return Number(/scale\(([\d.]+)\)/.exec(t)?.[1] ?? 1);
  });
}

/** Zooms with Ctrl+wheel around the pane's centre until the zoom is within 10% of `target`. */
async function zoomTo(target: number): Promise<void> {
  const box = await page.getByTestId('graph').boundingBox();
  if (!box) throw new Error('no graph on the page');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 60 && Math.abs((await zoom()) - target) / target >= 0.1; i++) {
    const z = await zoom();
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, z > target ? 120 : -120);
    await page.keyboard.up('Control');
    await page.waitForTimeout(60);
  }
}

/** 'f': the readable starting view. It animates; wait until it has arrived, or a later zoom starts mid-flight. */
async function fit(): Promise<void> {
  await page.keyboard.press('f');
  await expect.poll(zoom).toBeGreaterThanOrEqual(0.45);
  await page.waitForTimeout(300);
}

beforeAll(async () => {
  await clearScreenshots(/^3\d-/);
  server = await startFleetServer({ clusters: CLUSTERS, kustomizationsPerCluster: 40, workloadsPerKustomization: 8 });
  browser = await launchBrowser();
  page = browser.page;
  await page.goto(server.run.server.url);
  // Every node of the fleet placed: per Kustomization itself, 8 workloads and a folded 'more objects' node.
  await page.waitForFunction(
    (want) => Number(document.querySelector('[data-testid=graph]')?.getAttribute('data-nodes')) >= want,
    CLUSTERS.length * 40 * 10,
    { timeout: 30_000 },
  );
});

afterAll(async () => {
  await browser.close();
  await server.close();
});

describe('a graph of several clusters at scale', () => {
  it('shows the nodes of each cluster as the view reaches it, and every cluster in an overview', async () => {
    // The starting view is the first cluster at a readable zoom: some cluster further right is not drawn.
    const drawn = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const c of CLUSTERS) if ((await nodesOf(c).count()) > 0) out.push(c);
      return out;
    };
    await expect.poll(async () => (await drawn()).length).toBeGreaterThan(0);
    const first = await drawn();
    expect(first.length).toBeLessThan(CLUSTERS.length);
    // Dragging the view to the right reaches another cluster, whose nodes appear.
    const box = await page.getByTestId('graph').boundingBox();
    if (!box) throw new Error('no graph on the page');
    const reachedAnother = async (): Promise<boolean> => (await drawn()).some((c) => !first.includes(c));
    for (let i = 0; i < 30 && !(await reachedAnother()); i++) {
      await page.mouse.move(box.x + box.width - 100, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + 100, box.y + box.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    expect(await reachedAnother()).toBe(true);
    await screenshot(page, '30-scale-next-cluster');
    // Zoomed out to an overview, all three clusters are drawn.
    await fit();
    await zoomTo(0.06);
    for (const c of CLUSTERS) await expect.poll(() => nodesOf(c).count()).toBeGreaterThan(0);
  });

  it('draws plain blocks at an overview that still select on click, and labels again when zoomed in', async () => {
    await page.keyboard.press('Escape');
    await fit();
    await zoomTo(0.2);
    const node = page.locator('[data-testid=graph-node][data-kind=Kustomization]').first();
    await node.waitFor();
    // No labels at this zoom: the node is a coloured block.
    expect(await page.locator('[data-testid=graph-node] .gnode__name').count()).toBe(0);
    await screenshot(page, '31-scale-overview');
    const name = await node.getAttribute('data-name');
    await node.click();
    const selected = page.locator(`[data-testid=graph-node][data-name="${name}"].is-selected`);
    await expect.poll(() => selected.count()).toBe(1);
    const panel = page.locator(`[data-testid=object-panel][data-kind=Kustomization][data-name="${name}"]`);
    await expect.poll(() => panel.count()).toBe(1);
    // Zooming in ('f': the readable starting view) brings the labels back, the selection kept.
    await fit();
    await expect.poll(() => page.locator('[data-testid=graph-node] .gnode__name').count()).toBeGreaterThan(0);
    expect(await panel.count()).toBe(1);
    await screenshot(page, '32-scale-zoomed-in');
  });
});
