/**
 * A failing end-to-end test leaves a picture of every open page as test-results/e2e/failed-<test>.png: what the user
 * would have seen is the first thing to look at, and a failure seen once in CI may not come back on a rerun.
 */
import { beforeEach } from 'vitest';

import { pagesOpen } from './browser.ts';
import { screenshot } from './fluxdeck-page.ts';

beforeEach(({ onTestFailed }) => {
  onTestFailed(async ({ task }) => {
    const name = `failed-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}`;
    await Promise.all(
      pagesOpen().map((page, i) => screenshot(page, i === 0 ? name : `${name}-${i + 1}`).catch(() => undefined)),
    );
  });
});
