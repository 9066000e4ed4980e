/**
 * A synthetic fleet of Flux objects and workloads for the UI benchmark and unit tests: per cluster a few sources, a
 * root Kustomization that applies the others (app-of-apps), `dependsOn` chains (infra before apps), and workloads with
 * a deterministic mix of health. Deterministic for a given seed.
 */
import type { ClusterInfo, Condition, FluxObjectData, Workload } from '../../main/contract/index.ts';

export interface FleetOptions {
  clusters: string[];
  kustomizationsPerCluster: number;
  workloadsPerKustomization: number;
  /** Extra non-workload objects (Service, ConfigMap) per Kustomization. */
  othersPerKustomization?: number;
  seed?: number;
}

export interface Fleet {
  clusters: ClusterInfo[];
  objects: FluxObjectData[];
  workloads: Workload[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (r: () => number, n: number): string =>
  Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

function ready(
  ok: boolean,
  message: string,
  reason = ok ? 'ReconciliationSucceeded' : 'ReconciliationFailed',
): Condition[] {
  return [
    { type: 'Ready', status: ok ? 'True' : 'False', reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' },
  ];
}

function kustomization(
  uid: string,
  cluster: string,
  name: string,
  rev: string,
  source: string,
  inventory: FluxObjectData['inventory'],
  extra: Partial<FluxObjectData>,
): FluxObjectData {
  return {
    uid,
    cluster,
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    kind: 'Kustomization',
    namespace: 'flux-system',
    name,
    resourceVersion: '300',
    generation: 1,
    observedGeneration: 1,
    suspended: false,
    conditions: ready(true, `Applied revision: ${rev}`),
    sourceRef: { group: 'source.toolkit.fluxcd.io', kind: 'GitRepository', namespace: 'flux-system', name: source },
    dependsOn: [],
    ...(inventory && { inventory }),
    revision: { lastApplied: rev, lastAttempted: rev },
    interval: '10m0s',
    ...extra,
  };
}

const APPS = [
  'podinfo',
  'frontend',
  'backend',
  'redis',
  'postgres',
  'ingress',
  'cert-manager',
  'metrics',
  'logging',
  'auth',
  'search',
  'billing',
];

export function syntheticFleet(opts: FleetOptions): Fleet {
  const r = rng(opts.seed ?? 42);
  const objects: FluxObjectData[] = [];
  const workloads: Workload[] = [];
  let uid = 0;
  const nextUid = (): string => `uid-${(uid++).toString(36)}`;
  const clusters: ClusterInfo[] = opts.clusters.map((name, i) => ({
    name,
    server: `https://10.0.${i}.1:6443`,
    current: i === 0,
    state: 'connected',
    auth: { method: i % 2 ? 'token' : 'client-certificate', status: 'ok' },
  }));
  for (const cluster of opts.clusters) {
    const rev = `main@sha1:${hex(r, 40)}`;
    const sources = ['flux-system', 'platform', 'apps'].map((name) => ({
      uid: nextUid(),
      cluster,
      group: 'source.toolkit.fluxcd.io',
      version: 'v1',
      kind: 'GitRepository',
      namespace: 'flux-system',
      name,
      resourceVersion: '100',
      generation: 1,
      observedGeneration: 1,
      suspended: false,
      conditions: ready(true, `stored artifact for revision '${rev}'`, 'Succeeded'),
      dependsOn: [],
      revision: { artifact: rev },
      interval: '1m0s',
      url: `https://git.example.com/fleet/${name}.git`,
    }));
    objects.push(...sources);
    const children: { group: string; kind: string; namespace: string; name: string }[] = [];
    for (let k = 0; k < opts.kustomizationsPerCluster; k++) {
      const app = `${APPS[k % APPS.length]}-${Math.floor(k / APPS.length)}`;
      const ns = k % 3 === 0 ? 'infra' : 'apps';
      const roll = r();
      const failing = roll < 0.04;
      const suspended = !failing && roll < 0.07;
      const inventory: { group: string; kind: string; namespace: string; name: string }[] = [];
      for (let w = 0; w < opts.workloadsPerKustomization; w++) {
        const kind = w % 5 === 4 ? 'StatefulSet' : 'Deployment';
        const name = `${app}-${w}`;
        inventory.push({ group: 'apps', kind, namespace: ns, name });
        const h = r();
        const health: Workload['health'] = failing && w === 0 ? 'Failed' : h < 0.05 ? 'InProgress' : 'Current';
        workloads.push({
          uid: nextUid(),
          cluster,
          group: 'apps',
          kind,
          namespace: ns,
          name,
          resourceVersion: '200',
          health,
          message:
            health === 'Current'
              ? 'Deployment is available. Replicas: 2'
              : health === 'Failed'
                ? 'Progress deadline exceeded'
                : 'Available: 1/2',
          replicas: { desired: 2, ready: health === 'Current' ? 2 : 1 },
        });
      }
      for (let o = 0; o < (opts.othersPerKustomization ?? 2); o++)
        inventory.push({ group: '', kind: o % 2 ? 'ConfigMap' : 'Service', namespace: ns, name: `${app}-${o}` });
      const name = `${ns}-${app}`;
      children.push({ group: 'kustomize.toolkit.fluxcd.io', kind: 'Kustomization', namespace: 'flux-system', name });
      objects.push(
        kustomization(nextUid(), cluster, name, rev, ns === 'infra' ? 'platform' : 'apps', inventory, {
          suspended,
          conditions: failing
            ? ready(false, `Deployment/${ns}/${app}-0 dry-run failed: spec.replicas: Invalid value: -1`, 'BuildFailed')
            : ready(true, `Applied revision: ${rev}`),
          dependsOn:
            ns === 'apps' && k > 3
              ? [
                  {
                    namespace: 'flux-system',
                    name: `infra-${APPS[(k - (k % 3)) % APPS.length]}-${Math.floor((k - (k % 3)) / APPS.length)}`,
                  },
                ]
              : [],
          path: `./${ns}/${app}`,
        }),
      );
    }
    objects.push(
      kustomization(nextUid(), cluster, 'flux-system', rev, 'flux-system', children, { path: `./clusters/${cluster}` }),
    );
  }
  return { clusters, objects, workloads };
}
