// The renderer's own marks for "the graph is on screen", read from a page: shared by `bench ui` and `bench serve`.
import type { Page } from 'playwright-core';

export interface FirstGraph {
  firstGraphMs: number;
  refinedMs: number;
  nodes: number;
}

/**
 * Loads `url` in `page` and waits for the first frame with at least `expected` nodes placed
 * (`fluxdeck:graph-rendered`) and for the frame after ELK's refined layout; times are from the navigation start.
 */
export async function loadOnce(page: Page, url: string, expected: number): Promise<FirstGraph> {
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
