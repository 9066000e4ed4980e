/**
 * `fluxdeck serve`'s server over the in-memory engine loaded with a synthetic fleet: what the UI benchmark drives,
 * and (run directly) a way to look at the UI with thousands of nodes:
 *   node test/support/fleet-server.ts [kustomizationsPerCluster]
 */
import type { BatchLimits } from '../../main/api/push-hub.ts';
import { type HeadlessRun, runHeadless } from '../../main/headless/index.ts';
import { createLogger } from '../../main/util/logger.ts';
import { syntheticFleet } from './fleet.ts';
import { clusterInfo, createMemoryEngine, type MemoryEngine } from './memory-engine.ts';

export interface FleetServer {
  run: HeadlessRun;
  engine: MemoryEngine;
  close(): Promise<void>;
}

export async function startFleetServer(opts: {
  clusters: string[];
  kustomizationsPerCluster: number;
  workloadsPerKustomization: number;
  limits?: BatchLimits;
  stepDelayMs?: number;
  /** Another build of the renderer (a benchmark comparing two builds); defaults to this checkout's. */
  rendererDir?: string;
}): Promise<FleetServer> {
  const engine = createMemoryEngine({ stepDelayMs: opts.stepDelayMs ?? 400 });
  const fleet = syntheticFleet(opts);
  for (const c of fleet.clusters) engine.putCluster(c);
  engine.putCluster({ ...clusterInfo('staging-eu'), server: 'https://staging.eu.example.com:6443' });
  engine.putCluster({
    ...clusterInfo('gke_acme_europe-west1_prod'),
    server: 'https://34.76.10.2',
    state: 'error',
    auth: {
      method: 'exec',
      status: 'missing-plugin',
      hint: 'gke-gcloud-auth-plugin was not found on PATH; install it or set an absolute path in the kubeconfig.',
    },
  });
  for (const o of fleet.objects) engine.putObject(o);
  for (const w of fleet.workloads) engine.putWorkload(w);
  const logger = createLogger({ write: (l) => process.stderr.write(l + '\n') }, 'warn');
  const run = await runHeadless({
    engine,
    logger,
    ...(opts.limits && { limits: opts.limits }),
    ...(opts.rendererDir !== undefined && { rendererDir: opts.rendererDir }),
  });
  return {
    run,
    engine,
    close: async () => {
      await run.close();
      await engine.close();
    },
  };
}

if (import.meta.main) {
  const perCluster = Number(process.argv[2] ?? 66);
  const server = await startFleetServer({
    clusters: ['prod-eu', 'prod-us', 'dev'],
    kustomizationsPerCluster: perCluster,
    workloadsPerKustomization: 8,
  });
  process.stdout.write(`${server.run.server.url}\n`);
  process.once('SIGINT', () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
