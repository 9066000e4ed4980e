// `npm run bench -- flux [--apps N] [--no-handoff]`: Fluxdeck side by side with the real Flux controllers (source-controller and
// kustomize-controller, built from the Go module proxy by test/tools/build.sh on first use, run out of cluster with
// their default flags, leader election off). Each engine gets a fresh control plane, the same repository on the
// same git server, one GitRepository and N (default 100) Kustomizations of five objects created at once:
//   (a) wall time until all are Ready, the time to Ready of each (first, p50, p99), CPU seconds and peak RSS of the
//       engine's processes (from /proc), and the API requests they made (Flux: the controllers' own
//       rest_client_requests_total; Fluxdeck: its published stats);
//   (b) a reconcile request on all N: time until every `lastHandledReconcileAt` caught up;
//   (c) the hand-off both ways: the engine that reconciled a cluster stops, the other starts and handles a reconcile
//       request on all N; how many of the 5N objects changed (resourceVersion) and how many are gone (skipped with
//       --no-handoff). A request on all that is not handled within 15 min is reported as how many were.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { percentile } from '../main/engine/engine-stats.ts';
import { fluxKinds } from '../main/flux/kinds.ts';
import type { Kustomization } from '../main/flux/kustomize.ts';
import { Annotation } from '../main/flux/meta.ts';
import type { ClusterClient } from '../main/kube/cluster-client.ts';
import { startCluster } from '../test/cluster/control-plane.ts';
import { fluxControllerBinaries, startFluxControllers } from '../test/support/flux-controllers.ts';
import { clientFor, ensureNamespace, gitRepository, installCrds, kustomization } from '../test/support/flux-fixture.ts';
import { commitFiles, startGitServer } from '../test/support/git-server.ts';
import { freePort } from '../test/support/ports.ts';
import { app, waitAllReady } from './fleet-apps.ts';
import { cpuSeconds, peakRssMb, startFluxdeckProcess } from './fluxdeck-process.ts';
import { benchLine } from './report.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const APPS = arg('--apps', 100);
/** Phase (c) doubles the run (at N=500 Flux alone takes over ten minutes to handle a request on all): skippable. */
const HANDOFF = !process.argv.includes('--no-handoff');
/** How long a request on all N may take before the bench reports how many were handled and goes on. */
const RECONCILE_ALL_LIMIT_MS = 900_000;
const NS = 'flux-system';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const FLEET_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
];
/** A running engine: its processes (for CPU and memory) and how to read its API request count. */
interface Engine {
  pids: number[];
  requests(): Promise<number>;
  stop(): Promise<void>;
}

interface Measured {
  wallS: number;
  toReady: number[];
  cpuS: number;
  peakRssMb: number;
  requests: number;
  reconcileAll: Handled;
}

/** A reconcile request on all N: how long until every one handled it, or how many did before the limit. */
interface Handled {
  s: number;
  handled: number;
}

/**
 * Where an engine runs: its cluster, work folder and log, and the loopback port source-controller serves artifacts
 * on. Fluxdeck writes artifact URLs with that address (`--artifact-url`), as a user running Flux out of cluster would
 * configure it: its default, the in-cluster Service name, does not resolve here, and a hand-off to Flux would leave
 * the Kustomizations kustomize-controller reads before source-controller rewrites the status failing until retried.
 */
interface Place {
  kubeconfig: string;
  work: string;
  log: string[];
  storagePort: number;
}

async function startFlux({ kubeconfig, work, log, storagePort }: Place): Promise<Engine> {
  // One instance of each controller needs no election.
  const flux = await startFluxControllers({ kubeconfig, workDir: work, namespace: NS, log, storagePort });
  return { pids: flux.running.map((r) => r.pid), requests: () => flux.requests(), stop: () => flux.stop() };
}

/** `fluxdeck run` in its own process, as a user runs it; its request count comes from the stats it publishes. */
async function startFluxdeck({ kubeconfig, work, log, storagePort }: Place): Promise<Engine> {
  const p = await startFluxdeckProcess(
    ['--kubeconfig', kubeconfig, '--all-contexts', '--artifact-url', `http://127.0.0.1:${storagePort}`],
    join(work, 'fluxdeck-data'),
    log,
  );
  return {
    pids: [p.pid],
    requests: async () => (await p.nextStats()).clusters.reduce((a, c) => a + c.requestsTotal, 0),
    stop: () => p.stop(),
  };
}

/** Annotates every Kustomization with one `requestedAt` and waits until all handled it (or the limit passed). */
async function reconcileAll(client: ClusterClient, names: string[]): Promise<Handled> {
  const token = new Date().toISOString();
  const t0 = performance.now();
  await Promise.all(
    names.map((name) =>
      client.patch(
        { ...KS, namespace: NS, name },
        { metadata: { annotations: { [Annotation.ReconcileRequestedAt]: token } } },
        'merge',
      ),
    ),
  );
  for (;;) {
    const list = await client.list<Kustomization>(KS, { namespace: NS });
    const handled = list.items.filter((k) => k.status?.lastHandledReconcileAt === token).length;
    const s = (performance.now() - t0) / 1000;
    if (handled >= names.length || s * 1000 > RECONCILE_ALL_LIMIT_MS) return { s, handled };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** resourceVersion of every object in the fleet namespace, by kind/name. */
async function fleetVersions(client: ClusterClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const k of FLEET_KINDS)
    for (const o of (await client.list(k, { namespace: 'fleet' })).items)
      if (o.metadata.name?.startsWith('app-'))
        out.set(`${k.kind}/${o.metadata.name}`, o.metadata.resourceVersion ?? '');
  return out;
}

async function run(
  which: 'flux' | 'fluxdeck',
  repoUrl: string,
  work: string,
): Promise<Measured & { handoff?: string }> {
  const dir = join(work, which);
  const cluster = await startCluster({ name: `bench-${which}`, dir: join(dir, 'cluster'), ownerPid: process.pid });
  const client = await clientFor(cluster.kubeconfig);
  const log: string[] = [];
  const place: Place = { kubeconfig: cluster.kubeconfig, work: dir, log, storagePort: await freePort() };
  let engine: Engine | undefined;
  try {
    await installCrds(client);
    for (const ns of [NS, 'fleet']) await ensureNamespace(client, ns);
    engine = await (which === 'flux' ? startFlux : startFluxdeck)(place);
    const names = Array.from({ length: APPS }, (_, i) => `app-${String(i).padStart(3, '0')}`);
    const cpu0 = engine.pids.reduce((a, p) => a + cpuSeconds(p), 0);
    const t0 = performance.now();
    // Watched from before the creates, so a Kustomization Ready while others are still being created is dated then,
    // not when the creates end (bench loop showed the difference: first Ready 3.5 s measured after, 0.5 s before).
    const ready = waitAllReady(client, names, 900_000);
    await client.create(gitRepository(NS, 'bench', repoUrl, { interval: '10m' }));
    await Promise.all(
      names.map((n) => client.create(kustomization(NS, n, 'bench', { path: `./apps/${n}`, interval: '10m' }))),
    );
    const readyAt = await ready;
    const wallS = (performance.now() - t0) / 1000;
    const pids = engine.pids;
    const cpuS = pids.reduce((a, p) => a + cpuSeconds(p), 0) - cpu0;
    const requests = await engine.requests();
    const measured: Measured = {
      wallS,
      toReady: [...readyAt.values()].map((t) => (t - t0) / 1000),
      cpuS,
      peakRssMb: pids.reduce((a, p) => a + peakRssMb(p), 0),
      requests,
      reconcileAll: await reconcileAll(client, names),
    };
    // Printed as soon as known: a long run that fails later keeps what it measured.
    console.log(`    ${describe(which, measured)}`);
    if (!HANDOFF) return measured;
    const before = await fleetVersions(client);
    await engine.stop();
    const [from, to] = which === 'flux' ? ['Flux', 'Fluxdeck'] : ['Fluxdeck', 'Flux'];
    engine = await (which === 'flux' ? startFluxdeck : startFlux)(place);
    const t1 = performance.now();
    const handled = await reconcileAll(client, names);
    if (handled.handled < names.length)
      return { ...measured, handoff: `hand-off ${from} → ${to}: ${describeHandled(handled)} (gave up)` };
    await waitAllReady(client, names, 600_000);
    const took = (performance.now() - t1) / 1000;
    const after = await fleetVersions(client);
    const changed = [...before].filter(([k, v]) => after.has(k) && after.get(k) !== v).length;
    const gone = [...before.keys()].filter((k) => !after.has(k)).length;
    const handoff = `hand-off ${from} → ${to}: ${APPS} Kustomizations handled by ${to} and Ready in ${took.toFixed(1)} s; of ${before.size} objects ${changed} changed (resourceVersion), ${gone} gone`;
    return { ...measured, handoff };
  } catch (err) {
    console.error(`${which} engine log (last lines):\n${log.join('').slice(-4000)}`);
    throw err;
  } finally {
    await engine?.stop();
    client.close();
    await cluster.stop();
  }
}

function describeHandled(h: Handled): string {
  return h.handled < APPS
    ? `only ${h.handled} of ${APPS} handled it within ${h.s.toFixed(0)} s`
    : `handled in ${h.s.toFixed(1)} s`;
}

function describe(name: string, m: Measured): string {
  return `${name}: all Ready in ${m.wallS.toFixed(1)} s (first ${Math.min(...m.toReady).toFixed(1)} s, p50 ${percentile(m.toReady, 50).toFixed(1)} s, p99 ${percentile(m.toReady, 99).toFixed(1)} s), CPU ${m.cpuS.toFixed(1)} s, peak RSS ${m.peakRssMb.toFixed(0)} MB, ${m.requests} API requests; reconcile request on all ${describeHandled(m.reconcileAll)}`;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-flux-'));
  const git = await startGitServer();
  try {
    // Build (or find) the controllers before any clock starts.
    await fluxControllerBinaries();
    const url = await git.createRepo('bench');
    const files: Record<string, string> = {};
    for (let i = 0; i < APPS; i++)
      for (const [f, c] of Object.entries(app(`app-${i}`, 'fleet', 'r0')))
        files[`apps/app-${String(i).padStart(3, '0')}/${f}`] = c;
    await commitFiles(git.repoPath('bench'), files, { message: 'initial' });
    console.log(`${APPS} Kustomizations, as each engine finishes:`);
    const flux = await run('flux', url, work);
    const ours = await run('fluxdeck', url, work);
    // A reconcile-all that gave up has no time to compare.
    const allRatio =
      ours.reconcileAll.handled < APPS || flux.reconcileAll.handled < APPS
        ? `reconcile-all n/a (${ours.reconcileAll.handled} and ${flux.reconcileAll.handled} of ${APPS} handled)`
        : `reconcile-all ${(ours.reconcileAll.s / flux.reconcileAll.s).toFixed(2)}`;
    console.log(`(a)+(b) ${APPS} Kustomizations x 5 objects, one GitRepository, fresh control plane each:`);
    console.log(`    ${describe('Flux (source-controller + kustomize-controller)', flux)}`);
    console.log(`    ${describe('Fluxdeck (fluxdeck run)', ours)}`);
    console.log(
      `    ratios Fluxdeck/Flux: wall ${(ours.wallS / flux.wallS).toFixed(2)}, CPU ${(ours.cpuS / flux.cpuS).toFixed(2)}, RSS ${(ours.peakRssMb / flux.peakRssMb).toFixed(2)}, requests ${(ours.requests / flux.requests).toFixed(2)}, ${allRatio}`,
    );
    if (ours.handoff && flux.handoff) {
      console.log(`(c) ${ours.handoff}`);
      console.log(`    ${flux.handoff}`);
    }
    console.log(
      benchLine(
        'flux',
        `${APPS} Kustomizations until all Ready`,
        { value: ours.wallS, unit: 's' },
        { name: 'Flux controllers', value: flux.wallS, unit: 's' },
      ),
    );
  } finally {
    await git.close();
    await rm(work, { recursive: true, force: true });
    await rm(git.root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
