import { resolve } from 'node:path';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

import { RENDERER_CSP_META } from './main/api/renderer-assets.ts';

/** Puts the one Content-Security-Policy (main/api/renderer-assets.ts) into index.html's meta tag. */
function rendererCsp(): Plugin {
  return {
    name: 'fluxdeck-csp',
    transformIndexHtml: (html) => html.replace('%FLUXDECK_CSP%', RENDERER_CSP_META),
  };
}

// Three bundles: main (the Electron app entry and the plain-Node CLI, which `fluxdeck serve` and `fluxdeck run`
// use), preload (CommonJS, because sandboxed preloads cannot be ES modules) and the renderer.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve(import.meta.dirname, 'main/electron/index.ts'),
          cli: resolve(import.meta.dirname, 'main/cli/index.ts'),
          // Worker-thread entries: the pools load `./<name>.js` beside their own module, so every main chunk and
          // these entries must sit in one flat directory.
          'build-worker': resolve(import.meta.dirname, 'main/kustomize/build-worker.ts'),
          'source-worker': resolve(import.meta.dirname, 'main/sources/source-worker.ts'),
        },
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(import.meta.dirname, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react(), rendererCsp()],
    // monaco-yaml's worker imports `monaco-editor/esm/vs/…`, a path monaco-editor 0.57's `exports` map no longer
    // offers (it maps `./*` onto esm/vs/ itself); point it at the file.
    resolve: {
      alias: [
        {
          find: /^monaco-editor\/esm\/vs\/(.*)$/,
          replacement: resolve(import.meta.dirname, 'node_modules/monaco-editor/esm/vs/$1'),
        },
      ],
    },
    // Module workers (graph layout, Monaco) so they can import like the rest of the renderer.
    worker: { format: 'es' },
    build: {
      outDir: 'out/renderer',
      // Smaller bundles parse faster: time to first graph is part of the product (bench/ui.ts).
      minify: true,
      rolldownOptions: { input: { index: resolve(import.meta.dirname, 'renderer/index.html') } },
    },
  },
});
