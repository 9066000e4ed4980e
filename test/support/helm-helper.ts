import { join } from 'node:path';

import { runBuild } from '../tools/run-build.ts';

let built: Promise<string> | undefined;

/**
 * The Helm helper for this checkout, built by main/helm/helper/build.sh (cached by source hash, so only the first
 * call after a change of the Go source compiles; CI builds it before the tests).
 */
export function ensureHelmHelper(): Promise<string> {
  built ??= runBuild(
    join(import.meta.dirname, '..', '..', 'main', 'helm', 'helper', 'build.sh'),
    [],
    'helm helper',
  ).then((out) => {
    const path = out.trim().split('\n').pop();
    if (!path) throw new Error('helm helper: build.sh printed no path');
    return path;
  });
  return built;
}
