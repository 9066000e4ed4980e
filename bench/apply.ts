// `npm run bench -- apply [--rounds N] [--objects N]`: server-side apply of 1,000 mixed objects into an empty
// namespace, then a no-op re-apply, Fluxdeck's apply engine side by side with `kubectl apply --server-side` on the
// same local control plane (started here, stopped at the end). Rounds alternate which tool goes first; medians are
// reported. Requests are counted by our client and, for kubectl, from its `-v=6` request log.
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { type ClusterClient, openCluster } from '../main/kube/cluster-client.ts';
import { loadKubeconfig } from '../main/kube/kubeconfig.ts';
import { ResourceManager } from '../main/kube/resource-manager.ts';
import type { KubeObject } from '../main/util/kube-object.ts';
import { KUBERNETES_VERSION, type RunningCluster, startCluster } from '../test/cluster/control-plane.ts';
import { benchLine, median } from './report.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('--rounds', 3);
const TOTAL = arg('--objects', 1000);
const owner = { field: 'kustomize-controller', group: 'kustomize.toolkit.fluxcd.io' };

/** The mix: shares of the total per kind (Deployments scaled to 0, as in Flux's own benchmark). */
const MIX: [string, number][] = [
  ['ConfigMap', 0.25],
  ['Secret', 0.15],
  ['Service', 0.15],
  ['ServiceAccount', 0.15],
  ['Deployment', 0.15],
  ['Role', 0.075],
  ['RoleBinding', 0.075],
];

function makeObject(kind: string, i: number, ns: string): KubeObject {
  const metadata = { name: `${kind.toLowerCase()}-${i}`, namespace: ns, labels: { app: `app-${i % 50}` } };
  switch (kind) {
    case 'ConfigMap':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        data: { 'app.properties': `color=blue\nsize=${i}\n`, index: String(i) },
      };
    case 'Secret':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        type: 'Opaque',
        data: { token: Buffer.from(`token-${i}`).toString('base64') },
      };
    case 'Service':
      return {
        apiVersion: 'v1',
        kind,
        metadata,
        // Headless: the test cluster's service range (a /24) could not give 150 Services per namespace an IP.
        spec: {
          clusterIP: 'None',
          selector: { app: `app-${i}` },
          ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
        },
      };
    case 'ServiceAccount':
      return { apiVersion: 'v1', kind, metadata };
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: `deploy-${i}` } },
          template: {
            metadata: { labels: { app: `deploy-${i}` } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
                  ports: [{ containerPort: 9898, protocol: 'TCP' }],
                  resources: { requests: { cpu: '10m', memory: '16Mi' } },
                },
              ],
            },
          },
        },
      };
    case 'Role':
      return {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        metadata,
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
      };
    case 'RoleBinding':
      return {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind,
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i}` },
        subjects: [{ kind: 'ServiceAccount', name: `serviceaccount-${i}`, namespace: ns }],
      };
    default:
      throw new Error(`no generator for ${kind}`);
  }
}

function objectsFor(ns: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [kind, share] of MIX)
    for (let i = 0; i < Math.round(TOTAL * share); i++) out.push(makeObject(kind, i, ns));
  return out.slice(0, TOTAL);
}

interface Sample {
  ms: number;
  requests: number;
}

/** Runs kubectl with `-v=6` and counts the API requests it logged. */
async function kubectl(kubeconfig: string, file: string): Promise<Sample> {
  const args = [
    '--kubeconfig',
    kubeconfig,
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=bench-kubectl',
    '-f',
    file,
    '-v=6',
  ];
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn('kubectl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (c) => resolve({ code: c ?? 1, stderr: err }));
  });
  const ms = performance.now() - t0;
  if (code !== 0)
    throw new Error(
      `kubectl apply failed (exit ${code}): ${stderr
        .split('\n')
        .filter((l) => !l.includes('round_trippers'))
        .join('\n')
        .slice(0, 500)}`,
    );
  const requests = stderr
    .split('\n')
    .filter((l) => /round_trippers\.go.*\] (GET|PUT|POST|PATCH|DELETE) https?:/.test(l)).length;
  return { ms, requests };
}

async function fluxdeck(
  client: ClusterClient,
  rm: ResourceManager,
  objects: KubeObject[],
): Promise<Sample & { changed: number }> {
  const before = client.stats.total;
  const t0 = performance.now();
  const cs = await rm.applyAllStaged(objects);
  return {
    ms: performance.now() - t0,
    requests: client.stats.total - before,
    changed: cs.filter((e) => e.action !== 'unchanged').length,
  };
}

/** Lets the deployment controller finish with a namespace, so both tools re-apply against the same settled state. */
async function settle(client: ClusterClient, ns: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const list = await client.list({ apiVersion: 'apps/v1', kind: 'Deployment' }, { namespace: ns });
    if (
      list.items.every(
        (d) => (d.status as { observedGeneration?: number } | undefined)?.observedGeneration === d.metadata.generation,
      )
    )
      return;
    await sleep(500);
  }
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), `fluxdeck-bench-apply-${process.pid}`);
  let cluster: RunningCluster | undefined;
  try {
    console.log(`starting a local control plane (Kubernetes ${KUBERNETES_VERSION}, full tier: controllers + KWOK)...`);
    cluster = await startCluster({ name: 'bench-apply', dir, tier: 'full', ownerPid: process.pid });
    const { config } = await loadKubeconfig([cluster.kubeconfig]);
    const admin = await openCluster('bench-apply', { kubeconfig: config });
    const samples = {
      kFirst: [] as Sample[],
      kNoop: [] as Sample[],
      fFirst: [] as Sample[],
      fNoop: [] as Sample[],
      fCold: [] as Sample[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      const kNs = `kubectl-${round}`;
      const fNs = `fluxdeck-${round}`;
      for (const ns of [kNs, fNs]) await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      const file = join(dir, `kubectl-${round}.json`);
      await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objectsFor(kNs) }));
      // A fresh client per round: its discovery and memo start cold, as after an app start.
      const client = await openCluster('bench-apply', { kubeconfig: config });
      const rm = new ResourceManager(client, { owner });
      const objects = rm.setOwnerLabels(objectsFor(fNs), 'bench', 'flux-system');
      const first = async (): Promise<void> => {
        samples.fFirst.push(await fluxdeck(client, rm, objects));
      };
      const kFirst = async (): Promise<void> => {
        samples.kFirst.push(await kubectl(cluster!.kubeconfig, file));
      };
      if (round % 2 === 0) {
        await kFirst();
        await first();
      } else {
        await first();
        await kFirst();
      }
      await settle(admin, kNs);
      await settle(admin, fNs);
      const noop = await fluxdeck(client, rm, objects);
      if (noop.changed !== 0) throw new Error(`the no-op re-apply changed ${noop.changed} objects`);
      samples.fNoop.push(noop);
      samples.kNoop.push(await kubectl(cluster.kubeconfig, file));
      // The same no-op from a client that has never seen these objects: every object is dry-run.
      const cold = await openCluster('bench-apply', { kubeconfig: config });
      samples.fCold.push(await fluxdeck(cold, new ResourceManager(cold, { owner }), objects));
      cold.close();
      client.close();
      console.log(
        `round ${round + 1}: first kubectl ${(samples.kFirst[round]!.ms / 1000).toFixed(2)}s, fluxdeck ${(samples.fFirst[round]!.ms / 1000).toFixed(2)}s; ` +
          `no-op kubectl ${(samples.kNoop[round]!.ms / 1000).toFixed(2)}s, fluxdeck ${(samples.fNoop[round]!.ms / 1000).toFixed(2)}s (cold ${(samples.fCold[round]!.ms / 1000).toFixed(2)}s)`,
      );
    }
    admin.close();
    const med = (xs: Sample[]): Sample => ({
      ms: median(xs.map((x) => x.ms)),
      requests: median(xs.map((x) => x.requests)),
    });
    const r = {
      kFirst: med(samples.kFirst),
      kNoop: med(samples.kNoop),
      fFirst: med(samples.fFirst),
      fNoop: med(samples.fNoop),
      fCold: med(samples.fCold),
    };
    const mix = MIX.map(([k, s]) => `${Math.round(TOTAL * s)} ${k}`).join(', ');
    console.log(`\n${TOTAL} objects (${mix}) into an empty namespace; ${ROUNDS} rounds, medians`);
    const row = (label: string, s: Sample): string =>
      `  ${label.padEnd(36)} ${(s.ms / 1000).toFixed(2).padStart(7)}s ${String(s.requests).padStart(7)} requests`;
    console.log(row('kubectl apply --server-side, first', r.kFirst));
    console.log(row('fluxdeck applyAllStaged, first', r.fFirst));
    console.log(row('kubectl apply --server-side, no-op', r.kNoop));
    console.log(row('fluxdeck applyAllStaged, no-op', r.fNoop));
    console.log(row('fluxdeck no-op, cold client (dry-runs)', r.fCold));
    console.log(`  first apply fluxdeck/kubectl: ${(r.fFirst.ms / r.kFirst.ms).toFixed(2)} (target <= 1)`);
    console.log(`  no-op fluxdeck/kubectl: ${(r.fNoop.ms / r.kNoop.ms).toFixed(2)}`);
    console.log(
      `  fluxdeck first / no-op: ${(r.fFirst.ms / r.fNoop.ms).toFixed(1)}x faster (target >= 5x); cold no-op ${(r.fFirst.ms / r.fCold.ms).toFixed(1)}x`,
    );
    console.log(
      benchLine(
        'apply',
        `first apply of ${TOTAL} mixed objects`,
        { value: r.fFirst.ms / 1000, unit: 's' },
        { name: 'kubectl', value: r.kFirst.ms / 1000, unit: 's' },
      ),
    );
  } finally {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
