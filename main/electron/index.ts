// Entry of the desktop app (out/main/index.js). Everything Electron-specific lives in this folder.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createFluxdeck } from '../create-fluxdeck.ts';
import { errorMessage } from '../util/errors.ts';
import { resourcePath } from '../util/paths.ts';
import { startDesktopApp } from './desktop-app.ts';

// The bundle lives in out/main; the preload and renderer bundles are its siblings.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');

startDesktopApp({
  createEngine: async ({ dataDir, logger, credentials }) => {
    const fluxdeck = await createFluxdeck({ dataDir, logger, credentials });
    const engine = fluxdeck.workbench;
    // Only the kubeconfig's current context connects by itself (as `fluxdeck run` does); the others wait for the
    // user, so opening the app never triggers a login storm across every cloud context.
    const current = fluxdeck.kubeconfigs.current().config.currentContext;
    if (current)
      engine
        .connect(current)
        .catch((err: unknown) =>
          logger.warn('could not connect the current context', { context: current, error: errorMessage(err) }),
        );
    return engine;
  },
  outDir,
  resourcesDir: resourcePath(),
  devServerUrl: process.env.ELECTRON_RENDERER_URL,
});
