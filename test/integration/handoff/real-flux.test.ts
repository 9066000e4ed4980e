import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import { Annotation } from '../../../main/flux/meta.ts';
import type { GitRepository } from '../../../main/flux/source.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { fluxControllerBinaries, type FluxControllers, startFluxControllers } from '../../support/flux-controllers.ts';
import {
  clientFor,
  ensureNamespace,
  eventually,
  gitRepository,
  installCrds,
  kustomization,
  waitForReady,
} from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';
import { freePort } from '../../support/ports.ts';

// The hand-off with the real Flux controllers (source-controller and kustomize-controller, built from the Go module
// proxy, run out of cluster with leader election on, as in a cluster): an app of 20 mixed objects reconciled by
// Fluxdeck is taken over by Flux with not one object written (resourceVersion) or pruned; while both run, Fluxdeck
// only watches; when Flux dies (its Leases run out), Fluxdeck takes over within the Lease duration, again writing no
// managed object. Its own control plane: Flux's controllers watch every namespace.

const NS = 'flux-system';
const APP_NS = 'shop';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const GIT = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository' };
const LEASE_SECONDS = 8;

const doc = (apiVersion: string, kind: string, name: string, body: string, namespaced = true): string =>
  [
    `apiVersion: ${apiVersion}`,
    `kind: ${kind}`,
    'metadata:',
    `  name: ${name}`,
    ...(namespaced ? [`  namespace: ${APP_NS}`] : []),
    '  labels:',
    '    app.kubernetes.io/part-of: shop',
    body.trimEnd(),
    '',
  ].join('\n');

const deployment = (name: string): string =>
  doc(
    'apps/v1',
    'Deployment',
    name,
    `spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      serviceAccountName: shop
      containers:
      - name: app
        image: ghcr.io/stefanprodan/podinfo:6.7.0
        ports:
        - containerPort: 9898
          name: http`,
  );

/** Twenty objects of sixteen kinds, cluster-scoped and namespaced, two health-checked workloads among them. */
const APP: Record<string, string> = {
  'app/namespace.yaml': doc('v1', 'Namespace', APP_NS, '', false),
  'app/rbac.yaml': [
    doc('v1', 'ServiceAccount', 'shop', ''),
    doc(
      'rbac.authorization.k8s.io/v1',
      'Role',
      'shop',
      'rules:\n- apiGroups: [""]\n  resources: [configmaps]\n  verbs: [get]',
    ),
    doc(
      'rbac.authorization.k8s.io/v1',
      'RoleBinding',
      'shop',
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: shop}\nsubjects:\n- {kind: ServiceAccount, name: shop, namespace: shop}',
    ),
    doc(
      'rbac.authorization.k8s.io/v1',
      'ClusterRole',
      'shop-reader',
      'rules:\n- apiGroups: [""]\n  resources: [namespaces]\n  verbs: [get]',
      false,
    ),
    doc(
      'rbac.authorization.k8s.io/v1',
      'ClusterRoleBinding',
      'shop-reader',
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: shop-reader}\nsubjects:\n- {kind: ServiceAccount, name: shop, namespace: shop}',
      false,
    ),
  ].join('---\n'),
  'app/config.yaml': [
    doc('v1', 'ConfigMap', 'frontend', 'data:\n  color: blue'),
    doc('v1', 'ConfigMap', 'backend', 'data:\n  pool: "10"'),
    doc('v1', 'ConfigMap', 'flags', 'data:\n  beta: "true"'),
    doc('v1', 'Secret', 'db', 'type: Opaque\nstringData:\n  password: not-a-real-one'),
    doc('v1', 'Secret', 'api', 'type: Opaque\ndata:\n  token: dG9rZW4='),
  ].join('---\n'),
  'app/workloads.yaml': [
    deployment('frontend'),
    deployment('backend'),
    doc(
      'apps/v1',
      'StatefulSet',
      'cache',
      `spec:
  serviceName: cache
  replicas: 1
  selector:
    matchLabels: {app: cache}
  template:
    metadata:
      labels: {app: cache}
    spec:
      containers:
      - name: redis
        image: redis:7`,
    ),
    doc(
      'batch/v1',
      'CronJob',
      'cleanup',
      `spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: clean
            image: busybox:1.36`,
    ),
  ].join('---\n'),
  'app/network.yaml': [
    doc(
      'v1',
      'Service',
      'frontend',
      'spec:\n  selector: {app: frontend}\n  ports:\n  - port: 80\n    targetPort: http',
    ),
    doc('v1', 'Service', 'cache', 'spec:\n  clusterIP: None\n  selector: {app: cache}\n  ports:\n  - port: 6379'),
    doc('networking.k8s.io/v1', 'NetworkPolicy', 'default-deny', 'spec:\n  podSelector: {}\n  policyTypes: [Ingress]'),
    doc(
      'networking.k8s.io/v1',
      'Ingress',
      'frontend',
      'spec:\n  rules:\n  - host: shop.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {name: frontend, port: {number: 80}}',
    ),
    doc(
      'policy/v1',
      'PodDisruptionBudget',
      'frontend',
      'spec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: frontend}',
    ),
  ].join('---\n'),
};

let c: RunningCluster;
let client: ClusterClient;
let git: GitServer;
let work: string;
let storagePort: number;
let commit: string;
const log: string[] = [];
const engines: Fluxdeck[] = [];
const fluxes: FluxControllers[] = [];

const fluxdeck = async (identity: string): Promise<Fluxdeck> => {
  const f = await createFluxdeck({
    kubeconfigPaths: [c.kubeconfig],
    dataDir: join(work, `fluxdeck-${identity}`),
    watchKubeconfigs: false,
    identity,
    leaseNamespace: NS,
    leaseDurationMs: 6000,
    observeCheckMs: 1000,
    // Where this test's source-controller serves artifacts, as `source-controller.flux-system.svc` is in a cluster.
    artifactBaseUrl: `http://127.0.0.1:${storagePort}`,
  });
  engines.push(f);
  await f.connect(c.name);
  return f;
};

const roleOf = (f: Fluxdeck): string => f.registry.session(c.name)?.status.role ?? 'no session';

const waitRole = (f: Fluxdeck, role: string, timeoutMs: number): Promise<true> =>
  eventually(
    `Fluxdeck to be ${role}`,
    () => Promise.resolve(roleOf(f) === role ? true : undefined),
    timeoutMs,
    () => Promise.resolve(`${roleOf(f)}: ${f.registry.session(c.name)?.status.message ?? ''}`),
  );

const flux = async (controller: 'source-controller' | 'kustomize-controller'): Promise<FluxControllers> => {
  const f = await startFluxControllers({
    kubeconfig: c.kubeconfig,
    workDir: work,
    namespace: NS,
    controllers: [controller],
    storagePort,
    leaderElection: { leaseSeconds: LEASE_SECONDS, renewSeconds: LEASE_SECONDS - 2, retrySeconds: 1 },
    log,
  });
  fluxes.push(f);
  return f;
};

/** Asks for a reconcile (as `flux reconcile` does) and waits until it was handled and the object is Ready. */
async function reconcile<T extends Kustomization | GitRepository>(kind: typeof KS, name: string): Promise<T> {
  const token = `${Date.now()}`;
  await client.patch(
    { ...kind, namespace: NS, name },
    { metadata: { annotations: { [Annotation.ReconcileRequestedAt]: token } } },
    'merge',
  );
  return waitForReady<T>(
    client,
    kind,
    NS,
    name,
    (r, o) => r.status === 'True' && o.status?.lastHandledReconcileAt === token,
    120_000,
  );
}

/** resourceVersion of every object in the Kustomization's inventory (`ns_name_group_kind` ids). */
async function inventoryVersions(): Promise<Map<string, string>> {
  const ks = await client.get<Kustomization>({ ...KS, namespace: NS, name: 'shop' });
  const out = new Map<string, string>();
  for (const e of ks.status?.inventory?.entries ?? []) {
    const [namespace, name, group, kind] = e.id.split('_');
    const obj = await client.tryGet({
      apiVersion: group ? `${group}/${e.v}` : e.v,
      kind: kind ?? '',
      name: name ?? '',
      ...(namespace ? { namespace } : {}),
    });
    out.set(e.id, obj?.metadata.resourceVersion ?? 'gone');
  }
  return out;
}

beforeAll(async () => {
  // Build (or find) Flux's controllers before anything starts: a first build takes minutes.
  await fluxControllerBinaries();
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-real-flux-'));
  storagePort = await freePort();
  c = await startCluster({ name: 'real-flux', dir: join(work, 'cluster'), ownerPid: process.pid });
  client = await clientFor(c.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  git = await startGitServer();
  const url = await git.createRepo('shop');
  commit = await commitFiles(git.repoPath('shop'), APP);
  await client.create(gitRepository(NS, 'shop', url, { interval: '10m' }));
  await client.create(kustomization(NS, 'shop', 'shop', { path: './app', wait: true, timeout: '2m' }));
}, 900_000);

afterAll(async () => {
  for (const e of engines) await e.stop();
  for (const f of fluxes) await f.stop();
  client.close();
  await git.close();
  await c.stop();
  await Promise.all([work, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

describe('hand-off with the real Flux controllers', { timeout: 300_000 }, () => {
  let before: Map<string, string>;

  it('Fluxdeck → Flux: Flux takes over the app and writes none of its 20 objects', async () => {
    const first = await fluxdeck('fluxdeck-1');
    await waitRole(first, 'reconciling', 60_000);
    const ks = await waitForReady<Kustomization>(client, KS, NS, 'shop', (r) => r.status === 'True', 180_000);
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${commit}`);
    before = await inventoryVersions();
    expect(before.size).toBe(20);
    await first.stop();

    // source-controller first: out of cluster, its address is only known once it serves (in a cluster both run and
    // kustomize-controller retries its download until the source's status has the new artifact).
    await flux('source-controller');
    const src = await reconcile<GitRepository>(GIT, 'shop');
    expect(src.status?.artifact?.revision).toBe(`main@sha1:${commit}`);
    expect(src.status?.artifact?.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${storagePort}/gitrepository/`));
    await flux('kustomize-controller');
    const taken = await reconcile<Kustomization>(KS, 'shop');
    expect(taken.status?.lastAppliedRevision).toBe(`main@sha1:${commit}`);
    expect(await inventoryVersions()).toEqual(before);
    const deploy = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: APP_NS, name: 'frontend' });
    expect((deploy.metadata.managedFields as { manager?: string }[]).map((m) => m.manager)).toContain(
      'kustomize-controller',
    );
  });

  it('both running: Fluxdeck sees Flux’s Leases and only watches', async () => {
    const second = await fluxdeck('fluxdeck-2');
    await waitRole(second, 'observing', 30_000);
    expect(second.registry.session(c.name)?.status.reconciler).toBe('flux');
    // Flux handles a request while Fluxdeck watches; Fluxdeck runs no reconcile of its own.
    await reconcile<Kustomization>(KS, 'shop');
    const spent = second.costs.snapshot().clusters.find((s) => s.context === c.name);
    expect(spent?.kinds.reduce((n, k) => n + k.total, 0) ?? 0).toBe(0);
    // …and writes nothing: no apply, patch, update or delete went to the cluster.
    for (const verb of ['APPLY', 'PATCH', 'PUT', 'DELETE']) expect(spent?.requestsByVerb[verb] ?? 0, verb).toBe(0);
    expect(await inventoryVersions()).toEqual(before);
  });

  it('Flux dies: its Leases run out, Fluxdeck takes over and writes none of the objects', async () => {
    const second = engines[engines.length - 1]!;
    for (const f of fluxes) for (const r of f.running) await r.kill();
    // Within the Lease duration (plus Fluxdeck's check interval and a margin for a loaded machine).
    await waitRole(second, 'reconciling', (LEASE_SECONDS + 20) * 1000);
    const src = await reconcile<GitRepository>(GIT, 'shop');
    expect(src.status?.artifact?.revision).toBe(`main@sha1:${commit}`);
    const ks = await reconcile<Kustomization>(KS, 'shop');
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${commit}`);
    expect(await inventoryVersions()).toEqual(before);
  });
});
