// `npm run bench -- loop [--apps N] [--concurrency N]`: the GitOps loop on a local control plane and git server.
//  (a) commit-to-Ready latency after a reconcile request for a 50-object app (median of 3), against the time
//      `kubectl apply --server-side` takes to apply the same 50 objects (what the loop adds to a plain apply);
//  (b) N (default 200) Kustomizations of 5 objects each from one repository, created at once: time until all are
//      Ready, peak memory and the concurrency used, against one `kubectl apply --server-side -R` of the same objects.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { requestReconcile } from '../main/controllers/requests/flux-requests.ts';
import { createFluxdeck } from '../main/create-fluxdeck.ts';
import { percentile } from '../main/engine/engine-stats.ts';
import { fluxKinds } from '../main/flux/kinds.ts';
import { startCluster } from '../test/cluster/control-plane.ts';
import { clientFor, ensureNamespace, gitRepository, installCrds, kustomization } from '../test/support/flux-fixture.ts';
import { commitFiles, startGitServer } from '../test/support/git-server.ts';
import { app, bigApp, waitAllReady } from './fleet-apps.ts';
import { benchLine, median } from './report.ts';

const exec = promisify(execFile);
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const APPS = arg('--apps', 200);
const CONCURRENCY = arg('--concurrency', 4);
const NS = 'flux-system';

function rssSampler(): { peakMb: () => number; stop: () => void } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  return { peakMb: () => peak / 1024 / 1024, stop: () => clearInterval(t) };
}

async function kubectlApply(kubeconfig: string, path: string): Promise<number> {
  const t0 = performance.now();
  await exec(
    'kubectl',
    [
      '--kubeconfig',
      kubeconfig,
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=bench',
      '-R',
      '-f',
      path,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-loop-'));
  const cluster = await startCluster({ name: 'bench-loop', dir: join(work, 'cluster'), ownerPid: process.pid });
  const git = await startGitServer();
  const client = await clientFor(cluster.kubeconfig);
  const fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'bench',
    concurrency: { Kustomization: CONCURRENCY, GitRepository: 2 },
  });
  try {
    await installCrds(client);
    for (const ns of [NS, 'latency', 'fleet', 'kubectl-a', 'kubectl-b']) await ensureNamespace(client, ns);
    const url = await git.createRepo('bench');
    const bare = git.repoPath('bench');
    const apps: Record<string, string> = {};
    for (let i = 0; i < APPS; i++) {
      for (const [f, c] of Object.entries(app(`app-${i}`, 'fleet', 'r0')))
        apps[`apps/app-${String(i).padStart(3, '0')}/${f}`] = c;
    }
    await commitFiles(bare, { ...apps, ...bigApp('r0') }, { message: 'initial' });
    await fluxdeck.connect(cluster.name);
    await client.create(gitRepository(NS, 'bench', url, { interval: '10m' }));

    // (a) latency
    await client.create(kustomization(NS, 'latency', 'bench', { path: './single', interval: '10m' }));
    await waitAllReady(client, ['latency'], 120_000);
    const latencies: number[] = [];
    for (let round = 1; round <= 3; round++) {
      await commitFiles(bare, bigApp(`r${round}`), { message: `round ${round}` });
      const t0 = performance.now();
      const result = await requestReconcile(
        client,
        { kind: fluxKinds.Kustomization, namespace: NS, name: 'latency' },
        { withSource: true, pollMs: 50, timeoutMs: 120_000 },
      );
      latencies.push(performance.now() - t0);
      if (!result.ready) throw new Error(`latency round ${round} failed: ${result.message}`);
    }
    const fluxLatency = median(latencies);
    const refDir = join(work, 'kubectl-single');
    await mkdir(refDir, { recursive: true });
    for (const [f, c] of Object.entries(bigApp('k1')))
      await writeFile(join(refDir, f.replace('/', '_')), c.replaceAll('namespace: latency', 'namespace: kubectl-a'));
    await kubectlApply(cluster.kubeconfig, refDir);
    for (const [f, c] of Object.entries(bigApp('k2')))
      await writeFile(join(refDir, f.replace('/', '_')), c.replaceAll('namespace: latency', 'namespace: kubectl-a'));
    const kubectlLatency = await kubectlApply(cluster.kubeconfig, refDir);
    console.log(
      `(a) commit → Ready after a reconcile request, 50 objects: fluxdeck ${latencies.map((l) => l.toFixed(0)).join('/')} ms (median ${fluxLatency.toFixed(0)} ms); kubectl apply --server-side of the same change ${kubectlLatency.toFixed(0)} ms`,
    );

    // (b) 200 Kustomizations at once
    const names = Array.from({ length: APPS }, (_, i) => `app-${String(i).padStart(3, '0')}`);
    const mem = rssSampler();
    const countedBefore = { ...fluxdeck.registry.session(cluster.name)?.client.stats.byVerb };
    const requestsBefore = fluxdeck.registry.session(cluster.name)?.client.stats.total ?? 0;
    const t0 = performance.now();
    // Watched from before the first create: a watch started after them dated every Ready until then to its first
    // list (at 1,000, the first Ready read 3.5–4.2 s, the moment the creates were all in; watched before, 0.5–0.7 s).
    const ready = waitAllReady(client, names, 600_000);
    await Promise.all(
      names.map((n) => client.create(kustomization(NS, n, 'bench', { path: `./apps/${n}`, interval: '10m' }))),
    );
    // The creates share the apiserver (and this process's send pacing) with the engine.
    const created = performance.now() - t0;
    const readyAt = await ready;
    const fluxStorm = performance.now() - t0;
    mem.stop();
    const requests = (fluxdeck.registry.session(cluster.name)?.client.stats.total ?? 0) - requestsBefore;
    const toReady = [...readyAt.values()].map((t) => t - t0);
    const byVerb = Object.entries(fluxdeck.registry.session(cluster.name)?.client.stats.byVerb ?? {})
      .map(([verb, n]) => `${verb} ${n - (countedBefore[verb] ?? 0)}`)
      .join(', ');
    const appsDir = join(work, 'kubectl-apps');
    for (const [f, c] of Object.entries(apps)) {
      await mkdir(join(appsDir, f.split('/').slice(0, -1).join('/')), { recursive: true });
      await writeFile(join(appsDir, f), c.replaceAll('namespace: fleet', 'namespace: kubectl-b'));
    }
    const kubectlStorm = await kubectlApply(cluster.kubeconfig, appsDir);
    console.log(
      `(b) ${APPS} Kustomizations x 5 objects, all Ready: fluxdeck ${(fluxStorm / 1000).toFixed(1)} s (${(APPS / (fluxStorm / 1000)).toFixed(1)} Kustomizations/s, concurrency ${CONCURRENCY}, peak RSS ${mem.peakMb().toFixed(0)} MB); kubectl apply --server-side -R of the same ${APPS * 5} objects ${(kubectlStorm / 1000).toFixed(1)} s`,
    );
    console.log(
      `    ${APPS} creates done at ${(created / 1000).toFixed(1)} s; time to Ready per Kustomization: first ${(Math.min(...toReady) / 1000).toFixed(1)} s, p50 ${(percentile(toReady, 50) / 1000).toFixed(1)} s, p99 ${(percentile(toReady, 99) / 1000).toFixed(1)} s; ${requests} API requests by fluxdeck (${(requests / (APPS * 5)).toFixed(2)} per object: ${byVerb})`,
    );
    console.log(
      benchLine(
        'loop',
        'commit-to-Ready (50 objects, after a reconcile request)',
        { value: fluxLatency, unit: 'ms' },
        { name: 'kubectl apply --server-side', value: kubectlLatency, unit: 'ms' },
      ),
    );
    console.log(
      benchLine(
        'loop',
        `${APPS} Kustomizations until all Ready (concurrency ${CONCURRENCY}, peak RSS ${mem.peakMb().toFixed(0)} MB)`,
        { value: fluxStorm / 1000, unit: 's' },
        { name: `kubectl apply --server-side -R (${APPS * 5} objects)`, value: kubectlStorm / 1000, unit: 's' },
      ),
    );
  } finally {
    await fluxdeck.stop();
    client.close();
    await git.close();
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
    await rm(git.root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
