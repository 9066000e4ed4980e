// Entry of the desktop app (out/main/index.js). Everything Electron-specific lives in this folder.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { resourcePath } from '../util/paths.ts';
import { startDesktopApp } from './desktop-app.ts';

// The bundle lives in out/main; the preload and renderer bundles are its siblings.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');

startDesktopApp({
  // Interim until main/create-fluxdeck.ts lands: the window opens and says the engine is missing.
  createEngine: () => Promise.reject(new Error('the engine is not wired in yet (main/create-fluxdeck.ts)')),
  outDir,
  resourcesDir: resourcePath(),
  devServerUrl: process.env.ELECTRON_RENDERER_URL,
});
