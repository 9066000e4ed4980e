/**
 * A failing end-to-end test leaves a picture of every open page as test-results/e2e/failed-<test>.png: what the user
 * would have seen is the first thing to look at, and a failure seen once in CI may not come back on a rerun. It also
 * prints the end of each running `fluxdeck serve`'s output, the engine's side of the story (CI keeps only the log).
 */
import { beforeEach } from 'vitest';

import { pagesOpen } from './browser.ts';
import { screenshot } from './fluxdeck-page.ts';
import { servesRunning } from './fluxdeck-serve.ts';

const SERVE_LINES = 150;

/** The last lines of a serve's output, without the session token of the URL it printed. */
function serveTail(output: string, lines = SERVE_LINES): string {
  return output
    .split('\n')
    .slice(-lines)
    .join('\n')
    .replace(/token=[\w-]+/g, 'token=<redacted>');
}

beforeEach(({ onTestFailed }) => {
  onTestFailed(async ({ task }) => {
    const name = `failed-${task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}`;
    await Promise.all(
      pagesOpen().map((page, i) => screenshot(page, i === 0 ? name : `${name}-${i + 1}`).catch(() => undefined)),
    );
    for (const output of servesRunning()) {
      console.error(
        `── fluxdeck serve, last ${SERVE_LINES} lines, when "${task.name}" failed:\n${serveTail(output())}`,
      );
    }
  });
});
