// `npm run bench -- helm [N] [--install]`: renders the fixture app chart (subchart, library, hooks, CRDs) N times (default 50)
// under N release names, through the long-lived Helm helper (concurrent requests to one process) and through
// `helm template` (one CLI process per chart, one after another, as a controller shelling out would), in the same
// run. Checks first that both print the same bytes. Prints the ratio and the helper's peak RSS. With --install it also
// starts a control plane and installs N releases of the chart through the helper (8 at a time, as a controller's
// workers would) vs `helm upgrade --install` for the same N one after another, then a no-op upgrade of all N.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { HelmClient } from '../main/helm/index.ts';
import { startCluster } from '../test/cluster/control-plane.ts';
import { ensureHelmHelper } from '../test/support/helm-helper.ts';
import { ensureTool } from '../test/tools/tools.ts';
import { benchLine, median } from './report.ts';

const exec = promisify(execFile);
const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);
const INSTALL = args.includes('--install');
const WORKERS = 8;
const RUNS = 3;

async function peakRssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : 0;
}

async function main(): Promise<void> {
  const [helm, helperPath] = await Promise.all([ensureTool('helm'), ensureHelmHelper()]);
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-helm-'));
  const client = new HelmClient({ path: helperPath });
  try {
    await cp(join(import.meta.dirname, '..', 'test', 'fixtures', 'helm'), join(dir, 'charts'), { recursive: true });
    const chart = join(dir, 'charts', 'app');
    // Cold start: spawn to hello line.
    const helperStart = performance.now();
    await client.info();
    const startMs = performance.now() - helperStart;
    await client.call('dependencies', { path: chart });
    const env = { ...process.env, HELM_CACHE_HOME: join(dir, 'cache'), HELM_CONFIG_HOME: join(dir, 'config') };
    const cli = (name: string): Promise<{ stdout: string }> =>
      exec(helm, ['template', name, chart, '-n', 'bench', '--include-crds'], { env, maxBuffer: 64 << 20 });
    const ours = (name: string): Promise<{ output: string }> =>
      client.call('template', { chart: { path: chart }, releaseName: name, namespace: 'bench', includeCRDs: true });

    const [a, b] = await Promise.all([ours('check'), cli('check')]);
    if (a.output !== b.stdout) throw new Error('helper and helm template disagree on the fixture chart');

    const names = Array.from({ length: N }, (_, i) => `app-${i}`);
    const helperRuns: number[] = [];
    const helperSeqRuns: number[] = [];
    const cliRuns: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let t = performance.now();
      await Promise.all(names.map((n) => ours(n)));
      helperRuns.push(performance.now() - t);
      t = performance.now();
      for (const n of names) await ours(n);
      helperSeqRuns.push(performance.now() - t);
      t = performance.now();
      for (const n of names) await cli(n);
      cliRuns.push(performance.now() - t);
    }
    const rss = await peakRssMiB(client.pid);
    console.log(
      `helm: ${N} renders, median of ${RUNS}: helper concurrent ${median(helperRuns).toFixed(0)} ms, ` +
        `helper sequential ${median(helperSeqRuns).toFixed(0)} ms, helm template ${median(cliRuns).toFixed(0)} ms; ` +
        `helper cold start ${startMs.toFixed(0)} ms, helper peak RSS ${rss.toFixed(0)} MiB`,
    );
    console.log(
      benchLine(
        'helm',
        `render ${N} charts`,
        { value: median(helperRuns), unit: 'ms' },
        { name: 'helm template', value: median(cliRuns), unit: 'ms' },
      ),
    );
    if (INSTALL) await installBench(helm, client, chart, dir);
  } finally {
    await client.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
    }),
  );
}

async function installBench(helm: string, client: HelmClient, chart: string, dir: string): Promise<void> {
  const cluster = await startCluster({ name: 'bench-helm', dir: join(dir, 'cluster'), ownerPid: process.pid });
  try {
    const kube = { kubeconfig: await readFile(cluster.kubeconfig, 'utf8'), trusted: true };
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfig, HELM_CACHE_HOME: join(dir, 'cache') };
    // Hooks off: the chart's Job hooks would measure KWOK's job completion, not Helm.
    const values = { hooks: { enabled: false } };
    const valuesFile = join(dir, 'bench-values.yaml');
    await writeFile(valuesFile, 'hooks:\n  enabled: false\n');
    const names = Array.from({ length: N }, (_, i) => `rel-${i}`);
    const upgrade = (ns: string) => (name: string) =>
      client.call('upgrade', {
        kube,
        releaseName: name,
        namespace: ns,
        chart: { path: chart },
        values,
        install: true,
        createNamespace: true,
        timeoutMs: 120_000,
      });
    let t = performance.now();
    await pool(names, WORKERS, upgrade('bench-fluxdeck'));
    const ours = performance.now() - t;
    t = performance.now();
    await pool(names, WORKERS, upgrade('bench-fluxdeck'));
    const noop = performance.now() - t;
    t = performance.now();
    for (const name of names)
      await exec(
        helm,
        [
          'upgrade',
          '--install',
          name,
          chart,
          '-n',
          'bench-helm',
          '--create-namespace',
          '-f',
          valuesFile,
          '--wait',
          '--timeout',
          '2m',
        ],
        { env },
      );
    const ref = performance.now() - t;
    const rss = await peakRssMiB(client.pid);
    console.log(
      `helm: ${N} installs through the helper (${WORKERS} at a time) ${ours.toFixed(0)} ms, ` +
        `a second upgrade of all ${N} ${noop.toFixed(0)} ms (${(noop / ours).toFixed(2)} of the install), ` +
        `helm upgrade --install one by one ${ref.toFixed(0)} ms; helper peak RSS ${rss.toFixed(0)} MiB`,
    );
    console.log(
      benchLine(
        'helm',
        `install ${N} releases`,
        { value: ours, unit: 'ms' },
        { name: 'helm upgrade --install', value: ref, unit: 'ms' },
      ),
    );
  } finally {
    await cluster.stop();
  }
}

await main();
