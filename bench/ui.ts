// `npm run bench -- ui [--runs 5] [--storm-kustomizations 200]`
//
// The UI at scale: three clusters with ~2,000 graph nodes served by `fluxdeck serve`'s server in this process, driven
// in Debian's Chromium. Measured with the renderer's performance marks and rAF timestamps:
//   - time to first graph: navigation start → the first frame with all nodes placed (`fluxdeck:graph-rendered`),
//     and → ELK's refined layout;
//   - frame times while panning by mouse drag, at a readable zoom (0.5) and zoomed out to the overview (0.2);
//   - main event-loop lag (p99, perf_hooks) while 200 Kustomizations reconcile at once and the api layer pushes the
//     storm of changes to the browser.
// The graph data comes from the in-memory engine port (test/support/memory-engine.ts) so the UI is measured on its
// own; the storm therefore exercises the api and push path, not the controllers (see the report's note).
// Reference: the product's budgets (first graph 1.5 s, p99 frame 33 ms, event-loop lag p99 50 ms); the ratio is
// fluxdeck / budget, so below 1 is within budget.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import type { Page } from 'playwright-core';

import { appRoot } from '../main/util/paths.ts';
import { launchBrowser } from '../test/e2e/support/browser.ts';
import { startFleetServer } from '../test/support/fleet-server.ts';
import { benchLine, median } from './report.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'per-cluster': { type: 'string', default: '66' },
    'storm-kustomizations': { type: 'string', default: '200' },
  },
});
const runs = Number(values.runs);
const perCluster = Number(values['per-cluster']);
const stormSize = Number(values['storm-kustomizations']);

if (!existsSync(join(appRoot(), 'out', 'renderer', 'index.html'))) {
  console.error('bench ui needs the built renderer: run `npm run build` first.');
  process.exit(1);
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

interface FirstGraph {
  firstGraphMs: number;
  refinedMs: number;
  nodes: number;
}

async function loadOnce(page: Page, url: string, expected: number): Promise<FirstGraph> {
  await page.goto(url);
  return page.evaluate(
    (want) =>
      new Promise<FirstGraph>((resolve, reject) => {
        const deadline = performance.now() + 60_000;
        const poll = (): void => {
          const rendered = performance
            .getEntriesByName('fluxdeck:graph-rendered')
            .find((e) => ((e as PerformanceMark).detail as { nodes: number }).nodes >= want);
          const refined = performance.getEntriesByName('fluxdeck:layout').find((e) => {
            const d = (e as PerformanceMark).detail as { nodes: number; final: boolean };
            return d.final && d.nodes >= want;
          });
          if (rendered && refined) {
            const after = performance
              .getEntriesByName('fluxdeck:graph-rendered')
              .find((e) => e.startTime >= refined.startTime);
            if (after)
              return resolve({
                firstGraphMs: rendered.startTime,
                refinedMs: after.startTime,
                nodes: ((rendered as PerformanceMark).detail as { nodes: number }).nodes,
              });
          }
          if (performance.now() > deadline) {
            const marks = performance
              .getEntriesByType('mark')
              .map((m) => `${m.name}@${m.startTime.toFixed(0)} ${JSON.stringify((m as PerformanceMark).detail)}`);
            reject(new Error(`the graph did not render within 60 s; marks: ${marks.join('; ')}`));
          } else setTimeout(poll, 20);
        };
        poll();
      }),
    expected,
  );
}

/** Drags the graph in a loop for `ms` and returns every rAF frame duration seen meanwhile. */
async function panFrames(page: Page, ms: number): Promise<number[]> {
  const box = await page.getByTestId('graph').boundingBox();
  if (!box) throw new Error('no graph on the page');
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __stop: boolean };
    w.__frames = [];
    w.__stop = false;
    let last = performance.now();
    const tick = (t: number): void => {
      w.__frames.push(t - last);
      performance.measure('fluxdeck:pan-frame', { start: last, end: t });
      last = t;
      if (!w.__stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const started = Date.now();
  let dir = 1;
  while (Date.now() - started < ms) {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 1; i <= 30; i++) await page.mouse.move(cx + dir * i * 12, cy + dir * i * 6);
    await page.mouse.up();
    dir = -dir;
  }
  return page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __stop: boolean };
    w.__stop = true;
    return w.__frames.slice(1);
  });
}

async function setZoom(page: Page, zoom: number): Promise<void> {
  // The pane listens to wheel events; ctrl+wheel zooms. Step until the viewport scale is near the target.
  const box = await page.getByTestId('graph').boundingBox();
  if (!box) return;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 40; i++) {
    const scale = await page.evaluate(() => {
      const t = document.querySelector<HTMLElement>('.react-flow__viewport')?.style.transform ?? '';
      return Number(/scale\(([\d.]+)\)/.exec(t)?.[1] ?? 1);
    });
    if (Math.abs(scale - zoom) / zoom < 0.1) return;
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, scale > zoom ? 120 : -120);
    await page.keyboard.up('Control');
    await page.waitForTimeout(50);
  }
}

const clusters = ['prod-eu', 'prod-us', 'dev'];
const server = await startFleetServer({
  clusters,
  kustomizationsPerCluster: perCluster,
  workloadsPerKustomization: 8,
  stepDelayMs: 300,
});
const browser = await launchBrowser();
try {
  const url = server.run.server.url;
  // Log in once: the token becomes a cookie, later loads go straight to the page (as a reload would).
  await browser.page.goto(url);
  const appUrl = new URL('/', url).href;
  // Per Kustomization: itself, 8 workloads and one folded 'more objects' node; plus sources per cluster.
  const expected = perCluster * clusters.length * 10;
  const loads: FirstGraph[] = [];
  for (let i = 0; i < runs; i++) loads.push(await loadOnce(browser.page, appUrl, expected));
  const first = median(loads.map((l) => l.firstGraphMs));
  const refined = median(loads.map((l) => l.refinedMs));
  console.log(
    `graph: ${loads[0]?.nodes ?? 0} nodes in ${clusters.length} clusters; first graph ${loads.map((l) => l.firstGraphMs.toFixed(0)).join(', ')} ms; ELK-refined ${loads.map((l) => l.refinedMs.toFixed(0)).join(', ')} ms`,
  );

  await setZoom(browser.page, 0.5);
  const readable = await panFrames(browser.page, 3000);
  const visibleReadable = await browser.page.locator('.react-flow__node').count();
  await setZoom(browser.page, 0.2);
  const overview = await panFrames(browser.page, 3000);
  const visibleOverview = await browser.page.locator('.react-flow__node').count();
  const framesP99 = percentile([...readable, ...overview], 99);
  console.log(
    `panning: readable zoom p50 ${percentile(readable, 50).toFixed(1)} ms, p99 ${percentile(readable, 99).toFixed(1)} ms (${visibleReadable} nodes in view); ` +
      `overview p50 ${percentile(overview, 50).toFixed(1)} ms, p99 ${percentile(overview, 99).toFixed(1)} ms (${visibleOverview} nodes in view); ${readable.length + overview.length} frames`,
  );

  // The storm: every Kustomization of the first cluster(s), up to stormSize, reconciled at once through the api,
  // while the browser stays connected and receives the batched deltas.
  const targets = server.engine
    .snapshot()
    .objects.filter((o) => o.kind === 'Kustomization' && !o.suspended)
    .slice(0, stormSize);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const stormStart = performance.now();
  const outcomes = await Promise.all(
    targets.map((o, i) =>
      server.run.api.router.invoke(
        'flux:reconcile',
        {
          actionId: `bench-storm-${String(i).padStart(4, '0')}`,
          key: { cluster: o.cluster, kind: 'Kustomization', namespace: o.namespace, name: o.name },
          withSource: false,
        },
        { signal: new AbortController().signal, client: 'bench' },
      ),
    ),
  );
  const stormMs = performance.now() - stormStart;
  await browser.page.waitForTimeout(500);
  lag.disable();
  const lagP99 = lag.percentile(99) / 1e6;
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(
    `storm: ${targets.length} Kustomizations reconciled in ${stormMs.toFixed(0)} ms (${failed} errors); event-loop lag p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms, p99 ${lagP99.toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
  );
  console.log(
    `machine: ${process.platform}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    benchLine(
      'ui',
      'p99 frame while panning 2,000 nodes',
      { value: framesP99, unit: 'ms' },
      { name: 'budget', value: 33, unit: 'ms' },
    ),
  );
  console.log(
    benchLine(
      'ui',
      'event-loop lag p99 in a 200-Kustomization storm',
      { value: lagP99, unit: 'ms' },
      { name: 'budget', value: 50, unit: 'ms' },
    ),
  );
  console.log(`ELK-refined layout: median ${refined.toFixed(0)} ms after navigation start`);
  console.log(
    benchLine(
      'ui',
      'time to first graph (2,000 nodes, 3 clusters)',
      { value: first, unit: 'ms' },
      { name: 'budget', value: 1500, unit: 'ms' },
    ),
  );
} finally {
  await browser.close();
  await server.close();
}
