import { join } from 'node:path';

import { runBuild } from '../tools/run-build.ts';

let cached: Promise<string> | undefined;

/**
 * Returns the directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, building them
 * from the Go module proxy on first use (test/cluster/build.sh; cached under ~/.cache/fluxdeck/bin).
 */
export function ensureBinaries(): Promise<string> {
  cached ??= runBuild(join(import.meta.dirname, 'build.sh'), [], 'test cluster: building the control plane').then(
    (out) => {
      const dir = out.trim().split('\n').pop();
      if (!dir) throw new Error('test cluster: build.sh printed no directory');
      return dir;
    },
  );
  return cached;
}
