import { join } from 'node:path';

import { runBuild } from './run-build.ts';

const built = new Map<string, Promise<string>>();

/**
 * The path of a reference tool built from the Go module proxy by test/tools/build.sh (the flux CLI, Flux's
 * controllers, helm, a registry, an S3 server...). The first call on a machine builds it (minutes; CI builds them
 * all before the tests); later calls return the cached binary at once.
 */
export function ensureTool(name: string): Promise<string> {
  let path = built.get(name);
  if (!path) {
    path = runBuild(join(import.meta.dirname, 'build.sh'), [name], `tools: building ${name}`).then((out) => {
      const line = out
        .trim()
        .split('\n')
        .find((l) => l.startsWith(`${name}=`));
      if (!line) throw new Error(`tools: build.sh printed no path for ${name}`);
      return line.slice(name.length + 1);
    });
    built.set(name, path);
  }
  return path;
}
