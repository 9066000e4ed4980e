import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
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

// Two situations that need a cluster of their own: the apiserver going away while Fluxdeck runs (it must not crash,
// must say the cluster is unreachable, and must converge once it is back, without a restart), and a cluster where
// Flux's own controllers run (Fluxdeck must only watch there: observe mode).

const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const NS = 'flux-system';
const cm = (value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: "${value}"\n`;

let git: GitServer;
const dirs: string[] = [];

beforeAll(async () => {
  git = await startGitServer();
});
afterAll(async () => {
  await git.close();
  await Promise.all([...dirs, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

async function engineFor(c: RunningCluster): Promise<Fluxdeck> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-outage-'));
  dirs.push(dataDir);
  return createFluxdeck({
    kubeconfigPaths: [c.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity: `t-${c.name}`,
    leaseDurationMs: 6000,
    observeCheckMs: 1000,
  });
}

describe('an apiserver outage', () => {
  let c: RunningCluster;
  let client: ClusterClient;
  let fluxdeck: Fluxdeck;
  let bare: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-outage-cluster-'));
    dirs.push(dir);
    c = await startCluster({ name: 'outage', dir, tier: 'api', ownerPid: process.pid });
    client = await clientFor(c.kubeconfig);
    await installCrds(client);
    await ensureNamespace(client, NS);
    const url = await git.createRepo('outage');
    bare = git.repoPath('outage');
    await commitFiles(bare, { 'cfg/settings.yaml': cm('before') });
    fluxdeck = await engineFor(c);
    await fluxdeck.connect(c.name);
    await client.create(gitRepository(NS, 'outage', url, { interval: '2s' }));
    await client.create(
      kustomization(NS, 'cfg', 'outage', { path: './cfg', targetNamespace: NS, retryInterval: '2s' }),
    );
    await waitForReady<Kustomization>(client, KS, NS, 'cfg', (r) => r.status === 'True');
  });
  afterAll(async () => {
    await fluxdeck.stop();
    client.close();
    await c.stop();
  });

  it('is reported as unreachable, and a commit made during it is applied after it, without a restart', async () => {
    const states: string[] = [];
    const off = fluxdeck.registry.onChange(() =>
      states.push(fluxdeck.registry.session(c.name)?.status.state ?? 'gone'),
    );
    await c.stopApiServer();
    const commit = await commitFiles(bare, { 'cfg/settings.yaml': cm('during') });
    await eventually(
      'the session to notice',
      () => Promise.resolve(states.includes('unreachable') ? true : undefined),
      120_000,
    );
    await c.startApiServer();
    const ks = await waitForReady<Kustomization>(
      client,
      KS,
      NS,
      'cfg',
      (r, k) => r.status === 'True' && k.status?.lastAppliedRevision === `main@sha1:${commit}`,
      180_000,
    );
    off();
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${commit}`);
    await eventually(
      'the session to report the cluster back',
      () => Promise.resolve(fluxdeck.registry.session(c.name)?.status.state === 'connected' ? true : undefined),
      30_000,
    );
    const settings = await client.get<KubeObject & { data: { value: string } }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'settings',
    });
    expect(settings.data.value).toBe('during');
  });
});

describe('observe mode', () => {
  it('only watches while Flux’s controllers renew their Leases, and takes over when the Lease expires', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-observe-cluster-'));
    dirs.push(dir);
    const c = await startCluster({ name: 'observe', dir, tier: 'api', ownerPid: process.pid });
    const client = await clientFor(c.kubeconfig);
    let fluxdeck: Fluxdeck | undefined;
    let renewing: ReturnType<typeof setInterval> | undefined;
    try {
      await installCrds(client);
      await ensureNamespace(client, NS);
      // A stand-in for a running kustomize-controller, seen as Fluxdeck sees one: its Deployment (which only gives
      // the version: it has no ready pod here) and its leader-election Lease, renewed every second as
      // controller-runtime renews it, with a short duration so the test does not wait for Flux's 35 s.
      await client.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'kustomize-controller',
          namespace: NS,
          labels: { 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/component': 'kustomize-controller' },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'kustomize-controller' } },
          template: {
            metadata: { labels: { app: 'kustomize-controller' } },
            spec: { containers: [{ name: 'manager', image: 'ghcr.io/fluxcd/kustomize-controller:v1.9.5' }] },
          },
        },
      });
      const LEASE = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        namespace: NS,
        name: 'kustomize-controller-leader-election',
      };
      const microTime = (): string => new Date().toISOString().replace('Z', '000Z');
      await client.create({
        ...LEASE,
        metadata: { name: LEASE.name, namespace: NS },
        spec: {
          holderIdentity: 'kustomize-controller-6d4f_0b1c',
          leaseDurationSeconds: 4,
          acquireTime: microTime(),
          renewTime: microTime(),
          leaseTransitions: 0,
        },
      });
      renewing = setInterval(() => {
        client.patch(LEASE, { spec: { renewTime: microTime() } }, 'merge').catch(() => undefined);
      }, 1000);
      const url = await git.createRepo('observe');
      await commitFiles(git.repoPath('observe'), { 'cfg/settings.yaml': cm('observed') });
      await client.create(gitRepository(NS, 'observe', url, { interval: '2s' }));
      await client.create(kustomization(NS, 'cfg', 'observe', { path: './cfg', targetNamespace: NS }));
      fluxdeck = await engineFor(c);
      const session = await fluxdeck.connect(c.name);
      expect(session.status.role).toBe('observing');
      expect(session.status.reconciler).toBe('flux');
      expect(session.status.reconcilerVersion).toBe('v1.9.5');
      expect(session.status.message).toContain('kustomize-controller in flux-system, v1.9.5');
      // It shows the objects (the caches are there) but writes nothing to them, for longer than the Lease lasts
      // (the stand-in keeps renewing it).
      await eventually('the cache to see the Kustomization', () =>
        Promise.resolve(session.cache(KS).get(NS, 'cfg') ? true : undefined),
      );
      await new Promise((r) => setTimeout(r, 6000));
      expect(session.status.role).toBe('observing');
      const untouched = await client.get<Kustomization>({ ...KS, namespace: NS, name: 'cfg' });
      expect(untouched.status?.conditions ?? []).toEqual([]);
      expect(
        await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'settings' }),
      ).toBeUndefined();
      // Flux stops (the Deployment stays, as when its pod crashes): the Lease runs out and Fluxdeck takes over.
      clearInterval(renewing);
      renewing = undefined;
      await eventually(
        'Fluxdeck to take over',
        () => Promise.resolve(session.status.role === 'reconciling' ? true : undefined),
        30_000,
      );
      expect(session.status.reconciler).toBe('desktop');
      await waitForReady(client, KS, NS, 'cfg', (r) => r.status === 'True');
    } finally {
      if (renewing) clearInterval(renewing);
      await fluxdeck?.stop();
      client.close();
      await c.stop();
    }
  });
});
