/** Debian's Chromium through playwright-core: headless, quiet, with a fresh profile per run. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Pages of the browsers open in this test file, for the screenshot a failing test leaves (failure-screenshots.ts). */
const openPages = new Set<Page>();

export function pagesOpen(): Page[] {
  return [...openPages];
}

export async function launchBrowser(viewport = { width: 1600, height: 950 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'fluxdeck-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  openPages.add(page);
  return {
    context,
    page,
    close: async () => {
      openPages.delete(page);
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
