import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { app, BrowserWindow } from 'electron';

import { createMainWindow } from './window.ts';

// The bundle lives in out/main; preload and renderer bundles are its siblings.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow(outDir, process.env.ELECTRON_RENDERER_URL);
  });
  app
    .whenReady()
    .then(() => createMainWindow(outDir, process.env.ELECTRON_RENDERER_URL))
    .catch((err: unknown) => {
      process.stderr.write(`Fluxdeck could not start: ${String(err)}\n`);
      app.exit(1);
    });
}
