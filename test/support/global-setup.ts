import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TestProject } from 'vitest/node';

import { startCluster } from '../cluster/control-plane.ts';

/** What tests get from `inject('cluster')`: the shared real control plane of this test run. */
export interface ProvidedCluster {
  name: string;
  dir: string;
  kubeconfig: string;
  server: string;
  token: string;
  caCert: string;
  binDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ProvidedCluster;
  }
}

/**
 * Starts one full control plane (etcd, apiserver, controller-manager, scheduler, KWOK) for the run and stops it at the
 * end. A watchdog tied to this process stops it too if the runner is killed.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = join(tmpdir(), `fluxdeck-${project.name}-${process.pid}`);
  const cluster = await startCluster({ name: `${project.name}-test`, dir, ownerPid: process.pid });
  project.provide('cluster', {
    name: cluster.name,
    dir: cluster.dir,
    kubeconfig: cluster.kubeconfig,
    server: cluster.server,
    token: cluster.token,
    caCert: cluster.caCert,
    binDir: cluster.binDir,
  });
  return async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
