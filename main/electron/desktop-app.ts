/**
 * The desktop app's lifecycle: one instance per user (a second launch focuses the first), logs in the app's log
 * directory, the engine started once and shared by every window, a tray that outlives the window so controllers keep
 * reconciling in the background, and a graceful quit that stops the controllers, releases leases and leaves no
 * process behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { app, type BrowserWindow, Menu, shell } from 'electron';

import { createApi, type FluxdeckApiServer } from '../api/create-api.ts';
import type { AppCommand } from '../contract/index.ts';
import { type Notifier, osFilterAllows } from '../notify/index.ts';
import { createLogger, type Logger, type LogLevel } from '../util/logger.ts';
import type { CredentialStore } from '../workbench/index.ts';
import type { Workbench } from '../workbench/index.ts';
import { registerAppScheme, serveRenderer } from './app-protocol.ts';
import { desktopCredentialStore } from './credential-store.ts';
import { bindIpc, type IpcBinding } from './ipc.ts';
import { openLogFile } from './log-file.ts';
import { appMenuTemplate } from './menu.ts';
import { startNotifications } from './notifications.ts';
import { createTray, type FluxdeckTray } from './tray.ts';
import { createMainWindow, lockDownSession } from './window.ts';

export interface EngineStartOptions {
  /** app.getPath('userData'): caches, artifacts, inbox, settings. */
  dataDir: string;
  logger: Logger;
  /** Git credentials the user enters, kept with safeStorage (the OS keychain). */
  credentials: CredentialStore;
}

export interface DesktopAppOptions {
  createEngine(opts: EngineStartOptions): Promise<Workbench>;
  /** out/ of the bundle: preload/ and renderer/ are inside. */
  outDir: string;
  /** resources/ (tray icons). */
  resourcesDir: string;
  devServerUrl: string | undefined;
  /** How long quitting waits for the engine to stop before giving up on it. */
  shutdownTimeoutMs?: number;
}

function withTimeout(p: Promise<void>, ms: number, what: string): Promise<void> {
  return Promise.race([
    p,
    new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms).unref(),
    ),
  ]);
}

export function startDesktopApp(opts: DesktopAppOptions): void {
  registerAppScheme();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const logFile = openLogFile(app.getPath('logs'));
  const level = (process.env.FLUXDECK_LOG_LEVEL ?? 'info') as LogLevel;
  const logger = createLogger(logFile, level).child({ shell: 'electron' });
  const version = (JSON.parse(readFileSync(join(app.getAppPath(), 'package.json'), 'utf8')) as { version: string })
    .version;

  let engine: Workbench | undefined;
  let api: FluxdeckApiServer | undefined;
  let ipc: IpcBinding | undefined;
  let tray: FluxdeckTray | undefined;
  let notifier: Notifier | undefined;
  let win: BrowserWindow | undefined;
  let quitting = false;

  const openWindow = (): void => {
    if (win && !win.isDestroyed()) {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
      return;
    }
    win = createMainWindow({
      preload: join(opts.outDir, 'preload', 'index.cjs'),
      devServerUrl: opts.devServerUrl,
      logger,
    });
    ipc?.addWindow(win);
  };

  const setPaused = (paused: boolean): void => {
    api?.router
      .invoke('engine:setPaused', { paused }, { signal: new AbortController().signal, client: 'tray' })
      .then((result) => {
        if (!result.ok) logger.error('could not change the paused state', { error: result.error });
      })
      .catch((err: unknown) => logger.error('could not change the paused state', { error: err }));
  };

  const shutdown = async (): Promise<void> => {
    logger.info('quitting: stopping controllers and releasing leases');
    notifier?.stop();
    ipc?.dispose();
    api?.close();
    tray?.destroy();
    try {
      if (engine) await withTimeout(engine.close(), opts.shutdownTimeoutMs ?? 15_000, 'stopping the engine');
      logger.info('engine stopped');
    } catch (err) {
      logger.error('the engine did not stop cleanly', { error: err });
    }
    await logFile.close();
  };

  app.on('second-instance', () => openWindow());
  // The tray keeps the app (and its controllers) running when the window closes; Quit is explicit.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => openWindow());
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    shutdown().then(
      () => app.exit(0),
      () => app.exit(1),
    );
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => app.quit());

  const start = async (): Promise<void> => {
    await app.whenReady();
    lockDownSession();
    serveRenderer(join(opts.outDir, 'renderer'), logger);
    const dataDir = app.getPath('userData');
    engine = await opts.createEngine({
      dataDir,
      logger: logger.child({ part: 'engine' }),
      credentials: await desktopCredentialStore({
        file: join(dataDir, 'git-credentials.json'),
        logger: logger.child({ part: 'credentials' }),
      }),
    });
    api = createApi({
      port: engine,
      logger: logger.child({ part: 'api' }),
      capabilities: { shell: 'electron', version, platform: process.platform, tray: true, notifications: true },
    });
    ipc = bindIpc(api, { logger, devServerUrl: opts.devServerUrl });
    const running = api;
    const menuActions = {
      command: (c: AppCommand['command']) => running.command(c),
      setPaused,
      isPaused: () => running.health().paused,
      openLogs: () => {
        shell
          .openPath(app.getPath('logs'))
          .catch((err: unknown) => logger.warn('could not open the log folder', { error: err }));
      },
      quit: () => app.quit(),
    };
    const installMenu = (): void =>
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(appMenuTemplate(menuActions, process.platform, opts.devServerUrl !== undefined)),
      );
    installMenu();
    const openInbox = (itemIds?: number[]): void => {
      openWindow();
      running.command('inbox', itemIds ? { itemIds } : undefined);
    };
    const trayRef = createTray(join(opts.resourcesDir, 'tray'), running.health(), {
      open: openWindow,
      openInbox: () => openInbox(),
      setPaused,
      quit: () => app.quit(),
    });
    const notifications = engine.notifications;
    notifications
      .applyStored()
      .then((r) => r.error && logger.warn('the receiver server setting could not be applied', { error: r.error }))
      .catch((err: unknown) => logger.warn('the receiver server setting could not be applied', { error: err }));
    notifier = startNotifications({
      inbox: engine.inbox,
      // The filter the user set in the Notifications view, read for each new item so a change applies at once.
      allows: (item) => osFilterAllows(notifications.settings().os, item),
      onClick: (itemIds) => openInbox(itemIds),
      logger: logger.child({ part: 'notifications' }),
    });
    tray = trayRef;
    let paused = running.health().paused;
    running.onHealth((h) => {
      trayRef.update(h);
      // The menu's checkbox follows a pause made from the tray or the window.
      if (h.paused !== paused) {
        paused = h.paused;
        installMenu();
      }
    });
    openWindow();
    logger.info('Fluxdeck started', { version, logs: logFile.path });
  };
  start().catch((err: unknown) => {
    logger.error('Fluxdeck could not start', { error: err });
    process.stderr.write(`Fluxdeck could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    quitting = true;
    shutdown().then(
      () => app.exit(1),
      () => app.exit(1),
    );
  });
}
