import { beforeEach, describe, expect, it, vi } from 'vitest';

import { silentLogger } from '../../../main/util/logger.ts';
import { electronStub, FakeBrowserWindow } from './electron-stub.ts';

vi.mock('electron', () => electronStub);

const { createMainWindow, isAppUrl, isExternalLink, lockDownSession, secureWebPreferences } =
  await import('../../../main/electron/window.ts');

describe('the main window', () => {
  beforeEach(() => {
    FakeBrowserWindow.created = [];
    electronStub.shell.openExternal.mockClear();
  });

  it('is isolated, sandboxed, without Node, webviews or insecure content', () => {
    const win = createMainWindow({
      preload: '/app/out/preload/index.cjs',
      devServerUrl: undefined,
      logger: silentLogger,
    });
    const prefs = (win as unknown as FakeBrowserWindow).options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(secureWebPreferences('/app/out/preload/index.cjs', { development: false })).toEqual(prefs);
  });

  it('opens developer tools only while developing (with the dev server)', () => {
    const prefsOf = (devServerUrl: string | undefined): Record<string, unknown> =>
      (createMainWindow({ preload: 'p', devServerUrl, logger: silentLogger }) as unknown as FakeBrowserWindow).options
        .webPreferences as Record<string, unknown>;
    expect(prefsOf(undefined).devTools).toBe(false);
    expect(prefsOf('http://localhost:5173').devTools).toBe(true);
  });

  it('loads the built renderer from the app origin, or the dev server while developing', () => {
    const built = createMainWindow({
      preload: 'p',
      devServerUrl: undefined,
      logger: silentLogger,
    }) as unknown as FakeBrowserWindow;
    expect(built.loaded).toBe('fluxdeck://app/index.html');
    const dev = createMainWindow({
      preload: 'p',
      devServerUrl: 'http://localhost:5173',
      logger: silentLogger,
    }) as unknown as FakeBrowserWindow;
    expect(dev.loaded).toBe('http://localhost:5173');
  });

  it('denies every new window and opens only https links in the browser', () => {
    const win = createMainWindow({
      preload: 'p',
      devServerUrl: undefined,
      logger: silentLogger,
    }) as unknown as FakeBrowserWindow;
    const handler = win.webContents.windowOpenHandler!;
    expect(handler({ url: 'https://fluxcd.io/docs' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'smb://share/x' })).toEqual({ action: 'deny' });
    expect(electronStub.shell.openExternal.mock.calls).toEqual([['https://fluxcd.io/docs']]);
  });

  it('blocks navigation away from the app and webviews', () => {
    const win = createMainWindow({
      preload: 'p',
      devServerUrl: undefined,
      logger: silentLogger,
    }) as unknown as FakeBrowserWindow;
    const nav = (url: string): boolean => {
      const event = { preventDefault: vi.fn() };
      win.webContents.emit('will-navigate', event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(nav('https://evil.example')).toBe(true);
    expect(nav('file:///home/user/.kube/config')).toBe(true);
    expect(nav('fluxdeck://app/index.html')).toBe(false);
    const attach = { preventDefault: vi.fn() };
    win.webContents.emit('will-attach-webview', attach);
    expect(attach.preventDefault).toHaveBeenCalled();
  });

  it('grants the page no permission', () => {
    lockDownSession();
    const request = electronStub.session.defaultSession.setPermissionRequestHandler.mock.calls[0]?.[0] as (
      wc: unknown,
      p: string,
      cb: (ok: boolean) => void,
    ) => void;
    const cb = vi.fn();
    request({}, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
  });

  it('recognises only its own origin as the app', () => {
    expect(isAppUrl('fluxdeck://app/index.html', undefined)).toBe(true);
    expect(isAppUrl('fluxdeck://other/index.html', undefined)).toBe(false);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/x', 'http://localhost:5173')).toBe(false);
    expect(isAppUrl('not a url', undefined)).toBe(false);
    expect(isExternalLink('http://example.com')).toBe(false);
  });
});
