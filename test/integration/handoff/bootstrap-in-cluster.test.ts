import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { createFluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { mainOf, runBootstrapCli } from '../../support/bootstrap-cli.ts';
import { runCli } from '../../support/cli-process.ts';
import { clientFor, eventually } from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';

// `fluxdeck bootstrap git --mode in-cluster` into the real git server and a real control plane with KWOK nodes (so
// the controllers' Deployments become Available): bad input refused before anything is written, the components and
// sync manifests pushed and applied, the Deployments Available, Fluxdeck observing without writing, the same run
// again pushing nothing, and `--mode desktop` handing the cluster back without deleting or scaling anything.

const NS = 'flux-system';
const DIR = 'clusters/kwok/flux-system';
const CONTROLLERS = ['helm-controller', 'kustomize-controller', 'notification-controller', 'source-controller'];

let c: RunningCluster;
let client: ClusterClient;
let git: GitServer;
let url: string;
let bare: string;
let dataDir: string;
const dirs: string[] = [];

const bootstrap = (...extra: string[]) =>
  runBootstrapCli(
    {
      url,
      path: 'clusters/kwok',
      kubeconfig: c.kubeconfig,
      dataDir,
      identity: 'bootstrap-in-cluster-test',
      timeout: '3m',
    },
    ...extra,
  );
const { head, show } = mainOf(() => bare);
const deployment = (name: string) =>
  client.tryGet<KubeObject & { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } }>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: NS,
    name,
  });

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-incluster-cluster-'));
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-incluster-'));
  dirs.push(dir, dataDir);
  c = await startCluster({ name: 'incluster', dir, tier: 'full', ownerPid: process.pid });
  client = await clientFor(c.kubeconfig);
  git = await startGitServer();
  url = await git.createRepo('fleet');
  bare = git.repoPath('fleet');
  await commitFiles(bare, { 'README.md': '# fleet\n' });
});
afterAll(async () => {
  client.close();
  await git.close();
  await c.stop();
  await Promise.all([...dirs, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

describe('fluxdeck bootstrap git --mode in-cluster', () => {
  it.each([
    [['--components', 'source-controller,kustomize-controller,flagger'], /--components: unknown component 'flagger'/],
    [
      ['--registry', 'https://registry.local/flux'],
      /--registry https:\/\/registry\.local\/flux: not an image repository/,
    ],
    [['--version', 'v2.3.0'], /--version v2\.3\.0: Fluxdeck ships the CRDs of Flux v2\.9\.5/],
  ])('refuses %j before writing anything', async (flags, message) => {
    const before = await head();
    const r = await bootstrap('--mode', 'in-cluster', ...flags);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(message);
    expect(await head()).toBe(before);
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
  });

  it('pushes and applies the controllers, waits for them to be Available, and steps back', async () => {
    const r = await bootstrap('--mode', 'in-cluster', '--registry', 'registry.local:5000/fluxcd');
    expect(r.output).toContain('✔ committed components and sync manifests to main');
    expect(r.output).toContain(
      '✔ Flux v2.9.5 controllers applied: source-controller, kustomize-controller, helm-controller, notification-controller',
    );
    expect(r.output).toContain("✔ Flux's controllers are Available");
    expect(r.output).toContain('Fluxdeck steps back and observes');
    expect(r.code).toBe(0);
    // Git: flux's layout, the components first.
    expect(await show(`${DIR}/kustomization.yaml`)).toContain('resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n');
    const components = await show(`${DIR}/gotk-components.yaml`);
    expect(components).toMatch(/^# .*\n# Flux Version: v2\.9\.5\n/);
    const kinds = parseAllDocuments(components).map((d) => (d.toJS() as KubeObject).kind);
    expect(new Set(kinds)).toEqual(
      new Set([
        'Namespace',
        'ResourceQuota',
        'CustomResourceDefinition',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Service',
        'Deployment',
        'NetworkPolicy',
      ]),
    );
    // The cluster: every controller Available with its pinned image from the chosen registry.
    for (const name of CONTROLLERS) {
      const d = await deployment(name);
      expect(d?.spec.template.spec.containers[0]?.image).toMatch(
        new RegExp(`^registry\\.local:5000/fluxcd/${name}:v\\d+\\.\\d+\\.\\d+$`),
      );
      const available = (d?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
      expect(available?.find((x) => x.type === 'Available')?.status).toBe('True');
    }
    for (const [apiVersion, kind, name] of [
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'cluster-reconciler-flux-system'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'crd-controller-flux-system'],
      ['networking.k8s.io/v1', 'NetworkPolicy', 'allow-egress'],
      ['v1', 'Service', 'source-controller'],
    ] as const)
      expect(
        await client.tryGet({
          apiVersion,
          kind,
          name,
          ...(kind === 'ClusterRole' || kind === 'ClusterRoleBinding' ? {} : { namespace: NS }),
        }),
      ).toBeDefined();
    const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    expect(ns.metadata.labels).toMatchObject({
      'fluxdeck.io/reconciler': 'in-cluster',
      'app.kubernetes.io/part-of': 'flux',
    });
    const crd = await client.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: 'kustomizations.kustomize.toolkit.fluxcd.io',
    });
    expect(crd.metadata.labels?.['app.kubernetes.io/part-of']).toBe('flux');
  });

  it('fluxdeck check reports the controllers’ Deployments, versions and the chosen engine', async () => {
    const r = await runCli(['check', '--kubeconfig', c.kubeconfig]);
    expect(r.output).toContain('⚠ source-controller v1.9.5 in flux-system: 1/1 ready, no live leader-election Lease');
    expect(r.output).toContain('⚠ helm-controller v1.6.4 in flux-system: 1/1 ready, no live leader-election Lease');
    expect(r.output).toContain('⚠ reconciled by: in-cluster Flux (not running): flux-system');
  });

  it('leaves flux-system to in-cluster Flux: Fluxdeck observes and writes nothing, even with no Lease yet', async () => {
    const engineDir = await mkdtemp(join(tmpdir(), 'fluxdeck-incluster-engine-'));
    dirs.push(engineDir);
    const fluxdeck = await createFluxdeck({
      kubeconfigPaths: [c.kubeconfig],
      dataDir: engineDir,
      watchKubeconfigs: false,
      identity: 'observer',
      leaseDurationMs: 6000,
      observeCheckMs: 1000,
    });
    try {
      const session = await fluxdeck.connect(c.name);
      expect(session.status.role).toBe('observing');
      expect(session.status.message).toMatch(/^in-cluster Flux \(not running\): flux-system /);
      await eventually('the cache to see the Kustomization', () =>
        Promise.resolve(session.cache(fluxKinds.Kustomization).get(NS, 'flux-system') ? true : undefined),
      );
      // Longer than a lease and several checks: still observing, nothing written to flux-system's status.
      await new Promise((r) => setTimeout(r, 8000));
      expect(session.status.role).toBe('observing');
      for (const kind of [fluxKinds.Kustomization, fluxKinds.GitRepository]) {
        const obj = await client.get({ ...kind, namespace: NS, name: 'flux-system' });
        // Only the apiserver's default (observedGeneration -1) is there: no status write by any manager.
        expect(obj.status ?? {}).toEqual({ observedGeneration: -1 });
        expect(
          (obj.metadata.managedFields ?? []).filter((f) => (f as { subresource?: string }).subresource === 'status'),
        ).toEqual([]);
      }
      expect(
        await client.tryGet({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          namespace: 'kube-system',
          name: 'fluxdeck-controllers',
        }),
      ).toBeUndefined();
    } finally {
      await fluxdeck.stop();
    }
  });

  it('is idempotent over an existing in-cluster bootstrap: nothing new is pushed', async () => {
    const before = await head();
    const r = await bootstrap('--mode', 'in-cluster', '--registry', 'registry.local:5000/fluxcd');
    expect(r.output).toContain('✔ components and sync manifests are up to date in main');
    expect(r.output).toContain('✔ main already has it');
    expect(r.code).toBe(0);
    expect(await head()).toBe(before);
  });

  it('--mode desktop hands the cluster back: components leave Git, stay in the cluster, nothing scaled', async () => {
    const r = await bootstrap('--mode', 'desktop');
    expect(r.output).toContain('gotk-components.yaml removed from Git');
    expect(r.output).toContain('nothing scaled down');
    expect(r.output).toContain('✔ bootstrap finished');
    expect(r.code).toBe(0);
    await expect(show(`${DIR}/gotk-components.yaml`)).rejects.toThrow();
    expect(await show(`${DIR}/kustomization.yaml`)).toContain('resources:\n- gotk-sync.yaml\n');
    for (const name of CONTROLLERS) {
      const d = await deployment(name);
      expect(d?.spec.replicas).toBe(1);
      expect(d?.metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    }
    const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    expect(ns.metadata.labels?.['fluxdeck.io/reconciler']).toBe('desktop');
    // Fluxdeck reconciled flux-system (no Flux Lease is live) and pruned none of the controllers' objects.
    const ks = await client.get<KubeObject & { status?: { lastAppliedRevision?: string } }>({
      ...fluxKinds.Kustomization,
      namespace: NS,
      name: 'flux-system',
    });
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${await head()}`);
    expect(
      await client.tryGet({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: 'gitrepositories.source.toolkit.fluxcd.io',
      }),
    ).toBeDefined();
  });

  it('fluxdeck uninstall removes the controllers as flux uninstall does, keeping CRDs and objects when asked', async () => {
    const r = await runCli(['uninstall', '--silent', '--keep-crds', '--keep-namespace', '--kubeconfig', c.kubeconfig]);
    expect(r.output).toContain(`✔ Deployment ${NS}/source-controller deleted`);
    expect(r.output).toContain('✔ ClusterRoleBinding cluster-reconciler-flux-system deleted');
    expect(r.output).toContain('✔ uninstall finished');
    expect(r.code).toBe(0);
    for (const name of CONTROLLERS) expect(await deployment(name)).toBeUndefined();
    for (const [apiVersion, kind, name, namespace] of [
      ['v1', 'Service', 'source-controller', NS],
      ['v1', 'ServiceAccount', 'kustomize-controller', NS],
      ['networking.k8s.io/v1', 'NetworkPolicy', 'allow-egress', NS],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'crd-controller-flux-system', undefined],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'crd-controller-flux-system', undefined],
    ] as const)
      expect(await client.tryGet({ apiVersion, kind, name, ...(namespace ? { namespace } : {}) })).toBeUndefined();
    // Kept: the CRDs, the Flux objects (finalizers off) and the namespace, without the bootstrap's choice.
    expect(
      await client.tryGet({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: 'kustomizations.kustomize.toolkit.fluxcd.io',
      }),
    ).toBeDefined();
    const ks = await client.get({ ...fluxKinds.Kustomization, namespace: NS, name: 'flux-system' });
    expect(ks.metadata.finalizers ?? []).toEqual([]);
    const ns = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    expect(ns.metadata.labels?.['fluxdeck.io/reconciler']).toBeUndefined();
  });
});
