import { join } from 'node:path';

import { BrowserWindow, type BrowserWindowConstructorOptions, shell } from 'electron';

/** The only web preferences Fluxdeck windows get: an isolated, sandboxed renderer with no Node. */
export const secureWebPreferences = (
  preload: string,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> => ({
  preload,
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
});

/** True for URLs the window may navigate to: only the app's own renderer. */
export function isAppUrl(url: string, devServerUrl: string | undefined): boolean {
  if (devServerUrl && url.startsWith(devServerUrl)) return true;
  return url.startsWith('file://');
}

/**
 * Creates the main window. Navigation away from the app is refused and new windows are denied; http(s) links open in
 * the user's browser instead.
 */
export function createMainWindow(outDir: string, devServerUrl: string | undefined): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Fluxdeck',
    backgroundColor: '#0f1419',
    webPreferences: secureWebPreferences(join(outDir, 'preload', 'index.cjs')),
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) shell.openExternal(url).catch(() => undefined);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault();
  });
  win.once('ready-to-show', () => win.show());
  const loaded = devServerUrl ? win.loadURL(devServerUrl) : win.loadFile(join(outDir, 'renderer', 'index.html'));
  loaded.catch((err: unknown) =>
    process.stderr.write(`Fluxdeck: the window could not load its page: ${String(err)}\n`),
  );
  return win;
}
