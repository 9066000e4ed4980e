/**
 * The one BrowserWindow factory (style guide practice 5): an isolated, sandboxed renderer without Node, which may show
 * only the app's own pages. New windows are denied (https links open in the user's browser), navigation away is
 * blocked, webviews cannot attach, and every permission request (camera, notifications, clipboard-read...) is refused.
 */
import { BrowserWindow, type BrowserWindowConstructorOptions, session, shell } from 'electron';

import type { Logger } from '../util/logger.ts';
import { APP_ORIGIN } from './app-protocol.ts';

/** The only web preferences Fluxdeck windows get. */
export function secureWebPreferences(
  preload: string,
  opts: { development: boolean },
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    // Developer tools are for developing Fluxdeck: in the shipped app they would hand anyone at the keyboard the
    // renderer's session (and the preload bridge).
    devTools: opts.development,
  };
}

/** True for URLs the window may show: the app's own origin, or the dev server while developing. */
export function isAppUrl(url: string, devServerUrl: string | undefined): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (devServerUrl !== undefined && parsed.origin === new URL(devServerUrl).origin) return true;
  // Not `origin`: for a custom scheme the WHATWG URL origin is the opaque "null".
  return `${parsed.protocol}//${parsed.host}` === APP_ORIGIN;
}

/** Links the renderer may hand to the OS browser: https only (no file:, no custom schemes that launch programs). */
export function isExternalLink(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export interface MainWindowOptions {
  preload: string;
  /** The dev server (electron-vite dev) or undefined to load the built renderer through fluxdeck://app. */
  devServerUrl: string | undefined;
  logger: Logger;
}

/** Applies the guards to the default session once: no permission is ever granted to the page. */
export function lockDownSession(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Fluxdeck',
    backgroundColor: '#0d1117',
    autoHideMenuBar: false,
    webPreferences: secureWebPreferences(opts.preload, { development: opts.devServerUrl !== undefined }),
  });
  const contents = win.webContents;
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) {
      shell.openExternal(url).catch((err: unknown) => opts.logger.warn('could not open a link', { url, error: err }));
    } else {
      opts.logger.warn('the renderer tried to open a window; denied', { url });
    }
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, opts.devServerUrl)) return;
    event.preventDefault();
    opts.logger.warn('navigation away from the app blocked', { url });
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, opts.devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  const url = opts.devServerUrl ?? `${APP_ORIGIN}/index.html`;
  win
    .loadURL(url)
    .catch((err: unknown) => opts.logger.error('the window could not load its page', { url, error: err }));
  return win;
}
