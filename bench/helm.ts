// `npm run bench -- helm [N]`: HelmReleases through the controller against the helm CLI, on a local control plane.
//  (a) N (default 50) HelmReleases of a five-object chart (test/fixtures/helm/five, served by an HTTP chart repository
//      through one HelmChart) created at once, until all are Ready, through Fluxdeck's controller (session started
//      as `fluxdeck run` does), against `helm upgrade --install --wait` of the same chart for the same N releases one
//      after another in the same run (target ratio ≤ 0.5);
//  (b) a no-op reconcile of all N (reconcile.fluxcd.io/requestedAt): checks that no new release revision is made
//      and compares its time with the first install (target ≤ 1/10);
//  (c) peak RSS of the Helm helper and of this process (main);
//  (d) secondary: N renders of the chart through the helper vs `helm template` (one CLI process each).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { createFluxdeck } from '../main/create-fluxdeck.ts';
import { isReady } from '../main/flux/conditions.ts';
import type { HelmRelease } from '../main/flux/helm.ts';
import { fluxKinds } from '../main/flux/kinds.ts';
import { HelmClient } from '../main/helm/index.ts';
import type { ClusterClient } from '../main/kube/cluster-client.ts';
import { startCluster } from '../test/cluster/control-plane.ts';
import { startChartRepo } from '../test/support/chart-repo-server.ts';
import { clientFor, ensureNamespace, installCrds } from '../test/support/flux-fixture.ts';
import { ensureHelmHelper } from '../test/support/helm-helper.ts';
import { ensureTool } from '../test/tools/tools.ts';
import { benchLine, median } from './report.ts';

const exec = promisify(execFile);
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 50);
const NS = 'bench-hr';
const REF_NS = 'bench-helm';
const HR = { apiVersion: fluxKinds.HelmRelease.apiVersion, kind: 'HelmRelease' };
const CHART = join(import.meta.dirname, '..', 'test', 'fixtures', 'helm', 'five');

/** VmHWM (peak resident set) of a process, in MiB. */
async function peakRssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : 0;
}

/** The Helm helper the engine started (a child of this process); the engine does not hand out its client. */
async function helperPid(): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
    if (m?.[1] === 'fluxdeck-helm' && Number(m[2]) === process.pid) return Number(entry);
  }
  return undefined;
}

function helmRelease(name: string): HelmRelease {
  return {
    apiVersion: HR.apiVersion,
    kind: 'HelmRelease',
    metadata: { name, namespace: NS },
    spec: {
      interval: '1h',
      timeout: '2m',
      chartRef: { kind: 'HelmChart', name: 'five' },
      values: { greeting: `hello ${name}` },
    },
  };
}

/** Polls until every named HelmRelease satisfies `done`; returns them. */
async function waitAll(
  client: ClusterClient,
  names: string[],
  done: (hr: HelmRelease) => boolean,
  timeoutMs: number,
): Promise<HelmRelease[]> {
  const want = new Set(names);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = (await client.list<HelmRelease>(HR, { namespace: NS })).items.filter((h) =>
      want.has(h.metadata.name ?? ''),
    );
    const finished = items.filter(done);
    if (finished.length === want.size) return finished;
    if (Date.now() > deadline)
      throw new Error(`only ${finished.length} of ${want.size} HelmReleases were done within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readyNow = (h: HelmRelease): boolean =>
  isReady(h.status?.conditions) && h.status?.observedGeneration === h.metadata.generation;

async function main(): Promise<void> {
  const [helm, helperPath] = await Promise.all([ensureTool('helm'), ensureHelmHelper()]);
  const work = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-helm-'));
  const packer = new HelmClient({ path: helperPath });
  const { path: tgz } = await packer.call('package', { path: CHART, destDir: join(work, 'pkg') });
  await templateBench(helm, packer, tgz, work);
  await packer.dispose();

  const repo = await startChartRepo();
  await repo.add({ name: 'five', version: '1.0.0', path: tgz });
  const cluster = await startCluster({ name: 'bench-helm', dir: join(work, 'cluster'), ownerPid: process.pid });
  const client = await clientFor(cluster.kubeconfig);
  const fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'bench',
    helmHelper: helperPath,
  });
  let peakMain = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakMain = Math.max(peakMain, process.memoryUsage().rss)), 100);
  try {
    await installCrds(client);
    for (const ns of [NS, REF_NS]) await ensureNamespace(client, ns);
    await fluxdeck.connect(cluster.name);
    // The chart is fetched once before the clock starts, as `helm upgrade --install` gets the .tgz on disk.
    await client.create({
      apiVersion: fluxKinds.HelmRepository.apiVersion,
      kind: 'HelmRepository',
      metadata: { name: 'charts', namespace: NS },
      spec: { url: repo.url, interval: '1h' },
    });
    await client.create({
      apiVersion: fluxKinds.HelmChart.apiVersion,
      kind: 'HelmChart',
      metadata: { name: 'five', namespace: NS },
      spec: { chart: 'five', version: '1.0.0', interval: '1h', sourceRef: { kind: 'HelmRepository', name: 'charts' } },
    });
    for (let t = Date.now(); ; await new Promise((r) => setTimeout(r, 100))) {
      const chart = await client.tryGet({ ...fluxKinds.HelmChart, namespace: NS, name: 'five' });
      if (isReady((chart?.status as { conditions?: [] } | undefined)?.conditions)) break;
      if (Date.now() - t > 120_000) throw new Error('the HelmChart did not become Ready');
    }

    // (a) N HelmReleases to Ready through the controller.
    const names = Array.from({ length: N }, (_, i) => `rel-${i}`);
    let t0 = performance.now();
    await Promise.all(names.map((n) => client.create(helmRelease(n))));
    const installed = await waitAll(client, names, readyNow, 900_000);
    const ours = performance.now() - t0;
    const revisions = new Map(installed.map((h) => [h.metadata.name, h.status?.history?.[0]?.version]));

    // (b) a no-op reconcile of all N.
    const requested = new Date().toISOString();
    t0 = performance.now();
    await Promise.all(
      names.map((n) =>
        client.patch(
          { ...HR, namespace: NS, name: n },
          { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': requested } } },
          'merge',
          { fieldManager: 'bench' },
        ),
      ),
    );
    const after = await waitAll(client, names, (h) => h.status?.lastHandledReconcileAt === requested, 600_000);
    const noop = performance.now() - t0;
    const newRevisions = after.filter((h) => h.status?.history?.[0]?.version !== revisions.get(h.metadata.name));
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfig, HELM_CACHE_HOME: join(work, 'helm-cache') };
    const listed = JSON.parse(
      (await exec(helm, ['ls', '-n', NS, '-o', 'json', '--max', '0'], { env, maxBuffer: 16 << 20 })).stdout,
    ) as { name: string; revision: string }[];
    const notFirst = listed.filter((r) => r.revision !== '1');
    const rssHelper = await peakRssMiB(await helperPid());

    // The reference: helm upgrade --install, one after another, waiting as the controller does.
    t0 = performance.now();
    for (const name of names)
      await exec(
        helm,
        [
          'upgrade',
          '--install',
          name,
          tgz,
          '-n',
          REF_NS,
          '--set',
          `greeting=hello ${name}`,
          '--wait',
          '--timeout',
          '2m',
        ],
        { env },
      );
    const ref = performance.now() - t0;

    console.log(
      `helm: ${N} HelmReleases of a 5-object chart to Ready through the controller ${(ours / 1000).toFixed(1)} s; ` +
        `helm upgrade --install --wait one after another ${(ref / 1000).toFixed(1)} s (ratio ${(ours / ref).toFixed(2)}, target ≤ 0.5)`,
    );
    console.log(
      `helm: no-op reconcile of all ${N} ${(noop / 1000).toFixed(2)} s (${(noop / ours).toFixed(3)} of the install, target ≤ 0.1); ` +
        `new release revisions: ${newRevisions.length} in status, ${notFirst.length} in helm ls (${listed.length} releases listed)`,
    );
    console.log(
      `helm: peak RSS helper ${rssHelper.toFixed(0)} MiB, main ${(peakMain / 1024 / 1024).toFixed(0)} MiB (VmHWM ${(await peakRssMiB(process.pid)).toFixed(0)} MiB)`,
    );
    if (newRevisions.length > 0 || notFirst.length > 0)
      throw new Error('the no-op reconcile made new release revisions');
    console.log(
      benchLine(
        'helm',
        `${N} HelmReleases to Ready (no-op reconcile ${(noop / 1000).toFixed(2)} s, helper ${rssHelper.toFixed(0)} MiB)`,
        { value: ours / 1000, unit: 's' },
        { name: 'helm upgrade --install one by one', value: ref / 1000, unit: 's' },
      ),
    );
  } finally {
    clearInterval(sampler);
    await fluxdeck.stop();
    client.close();
    await repo.close();
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** (d) N renders through the long-lived helper (concurrent) vs `helm template` processes, after checking they agree. */
async function templateBench(helm: string, client: HelmClient, chart: string, dir: string): Promise<void> {
  const env = { ...process.env, HELM_CACHE_HOME: join(dir, 'cache'), HELM_CONFIG_HOME: join(dir, 'config') };
  const cli = (name: string): Promise<{ stdout: string }> =>
    exec(helm, ['template', name, chart, '-n', 'bench'], { env, maxBuffer: 64 << 20 });
  const ours = (name: string): Promise<{ output: string }> =>
    client.call('template', { chart: { path: chart }, releaseName: name, namespace: 'bench' });
  const [a, b] = await Promise.all([ours('check'), cli('check')]);
  if (a.output !== b.stdout) throw new Error('helper and helm template disagree on the chart');
  const names = Array.from({ length: N }, (_, i) => `app-${i}`);
  const helperRuns: number[] = [];
  const cliRuns: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    await Promise.all(names.map((n) => ours(n)));
    helperRuns.push(performance.now() - t);
    t = performance.now();
    for (const n of names) await cli(n);
    cliRuns.push(performance.now() - t);
  }
  console.log(
    `helm: ${N} renders (median of 3): helper ${median(helperRuns).toFixed(0)} ms, helm template ${median(cliRuns).toFixed(0)} ms`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
