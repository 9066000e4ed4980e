import { join } from 'node:path';

import { type Browser, launchBrowser } from './browser.ts';
import { type Cleanup, stopServe } from './flux-seed.ts';
import { FluxdeckPage } from './fluxdeck-page.ts';
import { type ServeProcess, startServe } from './fluxdeck-serve.ts';

/** What most e2e suites start last: `fluxdeck serve` on the cluster and a browser page to drive it. */
export interface ServeSession {
  serve: ServeProcess;
  browser: Browser;
  ui: FluxdeckPage;
}

/** Starts `fluxdeck serve` (data in `<work>/data`) and a browser; `cleanup` closes the browser, then stops serve. */
export async function startServeSession(kubeconfig: string, work: string, cleanup: Cleanup): Promise<ServeSession> {
  const serve = await startServe({ kubeconfig, dataDir: join(work, 'data') });
  cleanup.push(() => stopServe(serve));
  const browser = await launchBrowser();
  cleanup.push(() => browser.close());
  return { serve, browser, ui: new FluxdeckPage(browser.page) };
}
