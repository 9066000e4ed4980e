import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { runCli } from '../../support/cli-process.ts';
import {
  clientFor,
  ensureNamespace,
  gitRepository,
  installCrds,
  kustomization,
  waitForReady,
} from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';

// `fluxdeck check` and `fluxdeck uninstall` on a cluster of their own (uninstall deletes the CRDs): the checks before
// and after an install, and an uninstall that removes the CRDs and Fluxdeck's Lease but leaves every workload.

const NS = 'flux-system';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

let c: RunningCluster;
let client: ClusterClient;
let git: GitServer;
let fluxdeck: Fluxdeck | undefined;
const dirs: string[] = [];
const cli = (...args: string[]) => runCli([...args, '--kubeconfig', c.kubeconfig]);

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-check-cluster-'));
  dirs.push(dir);
  c = await startCluster({ name: 'check', dir, tier: 'api', ownerPid: process.pid });
  client = await clientFor(c.kubeconfig);
  git = await startGitServer();
});
afterAll(async () => {
  await fluxdeck?.stop();
  client.close();
  await git.close();
  await c.stop();
  await Promise.all([...dirs, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

describe('fluxdeck check', () => {
  it('--pre passes on a cluster Fluxdeck may use: version and permissions', async () => {
    const r = await cli('check', '--pre');
    expect(r.output).toMatch(/✔ Kubernetes v?\d+\.\d+\.\d+\S* >=1\.32\.0/);
    expect(r.output).toContain('✔ allowed to create customresourcedefinitions.apiextensions.k8s.io (all namespaces)');
    expect(r.output).toContain('✔ allowed to list leases.coordination.k8s.io (all namespaces)');
    expect(r.code).toBe(0);
  });

  it('fails before the CRDs are installed, saying what to run', async () => {
    const r = await cli('check');
    expect(r.output).toContain('✗ gitrepositories.source.toolkit.fluxcd.io: not installed; run fluxdeck install');
    expect(r.code).toBe(1);
  });

  it('passes once installed and reconciled, naming the CRDs, who reconciles and the sources', async () => {
    await installCrds(client);
    await ensureNamespace(client, NS);
    const url = await git.createRepo('check');
    await commitFiles(git.repoPath('check'), {
      'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\ndata:\n  v: "1"\n',
    });
    await client.create(gitRepository(NS, 'app', url, { interval: '10m' }));
    await client.create(kustomization(NS, 'app', 'app', { path: './app', targetNamespace: NS }));
    const dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-check-'));
    dirs.push(dataDir);
    fluxdeck = await createFluxdeck({
      kubeconfigPaths: [c.kubeconfig],
      dataDir,
      watchKubeconfigs: false,
      identity: 'check-desktop',
      leaseDurationMs: 6000,
      observeCheckMs: 1000,
    });
    await fluxdeck.connect(c.name);
    await waitForReady<Kustomization>(client, KS, NS, 'app', (r) => r.status === 'True');
    const r = await cli('check');
    expect(r.output).toMatch(/✔ kustomizations\.kustomize\.toolkit\.fluxcd\.io \(Fluxdeck's, serves v1\)/);
    expect(r.output).toContain('✔ reconciled by: desktop (Fluxdeck instance check-desktop)');
    expect(r.output).toMatch(/✔ GitRepository flux-system\/app: stored artifact for revision 'main@sha1:[0-9a-f]{40}'/);
    expect(r.code).toBe(0);
    await fluxdeck.stop();
    fluxdeck = undefined;
  });
});

describe('fluxdeck uninstall', () => {
  it('asks first and does nothing without a yes', async () => {
    const r = await cli('uninstall');
    expect(r.output).toContain('uninstall cancelled');
    expect(r.code).toBe(1);
    expect(await client.tryGet({ ...CRD, name: 'kustomizations.kustomize.toolkit.fluxcd.io' })).toBeDefined();
  });

  it('--dry-run reports what it would do and writes nothing', async () => {
    const r = await cli('uninstall', '--dry-run');
    expect(r.output).toContain('◎ finalizers removed from Kustomization flux-system/app (dry run)');
    expect(r.output).toContain('◎ CRD kustomizations.kustomize.toolkit.fluxcd.io deleted (dry run)');
    expect(r.code).toBe(0);
    const ks = await client.get<Kustomization>({ ...KS, namespace: NS, name: 'app' });
    expect(ks.metadata.finalizers).toEqual(['finalizers.fluxcd.io']);
  });

  it('removes the CRDs and the Lease, keeps the namespace when asked, and leaves the workloads', async () => {
    const r = await cli('uninstall', '--silent', '--keep-namespace');
    expect(r.output).toContain('✔ finalizers removed from Kustomization flux-system/app');
    expect(r.output).toContain('✔ CRD gitrepositories.source.toolkit.fluxcd.io deleted');
    expect(r.output).toContain('– namespace flux-system kept (--keep-namespace)');
    expect(r.code).toBe(0);
    const gone = async (name: string): Promise<boolean> => (await client.tryGet({ ...CRD, name })) === undefined;
    for (let i = 0; i < 40 && !(await gone('kustomizations.kustomize.toolkit.fluxcd.io')); i++)
      await new Promise((res) => setTimeout(res, 250));
    expect(await gone('kustomizations.kustomize.toolkit.fluxcd.io')).toBe(true);
    // What the Kustomization applied stays: nothing was pruned.
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'kept' })).toBeDefined();
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeDefined();
  });
});
