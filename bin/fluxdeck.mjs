#!/usr/bin/env node
// Runs the bundled CLI (out/main/cli.js, made by `npm run build`) or, in a checkout that has not been built, the
// TypeScript sources directly through Node's type stripping (Node 22.18+).
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `fluxdeck needs Node 22.18 or newer; this is ${process.versions.node}. Run it through npm (npm run fluxdeck), which uses the project's pinned Node.`,
  );
  process.exit(1);
}
const bundle = new URL('../out/main/cli.js', import.meta.url);
await import(
  existsSync(bundle) && !process.env.FLUXDECK_FROM_SOURCE
    ? bundle.href
    : new URL('../main/cli/index.ts', import.meta.url).href
);
