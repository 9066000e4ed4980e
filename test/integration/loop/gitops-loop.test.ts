import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { diffCommand } from '../../../main/cli/commands/diff.ts';
import { statsCommand } from '../../../main/cli/commands/stats.ts';
import { requestReconcile, resume, setSuspended } from '../../../main/controllers/requests/flux-requests.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import type { GitRepository } from '../../../main/flux/source.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { cliIO } from '../../support/cli-io.ts';
import {
  clientFor,
  ensureNamespace,
  eventually,
  gitRepository,
  installCrds,
  kustomization,
  readyOf,
  waitForReady,
} from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';
import { configMapYaml, deploymentYaml } from '../../support/manifests.ts';

// The seed's main path, end to end on the real control plane and git server: a commit reaches the cluster, is kept
// there, is pruned when removed, and every step shows in status.

const cluster = inject('cluster');
const NS = 'flux-system';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const GIT = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository' };

let git: GitServer;
let bare: string;
let url: string;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let dataDir: string;

async function reconcileWithSource(name: string): Promise<Awaited<ReturnType<typeof requestReconcile>>> {
  return requestReconcile(
    client,
    { kind: fluxKinds.Kustomization, namespace: NS, name },
    { withSource: true, timeoutMs: 90_000, pollMs: 200 },
  );
}

const get = <T extends KubeObject>(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): Promise<T | undefined> => client.tryGet<T>({ apiVersion, kind, namespace, name });

beforeAll(async () => {
  git = await startGitServer();
  url = await git.createRepo('fleet');
  bare = git.repoPath('fleet');
  await commitFiles(
    bare,
    {
      'apps/deploy.yaml': deploymentYaml(1),
      'apps/settings.yaml': configMapYaml('settings', 'one'),
      'README.md': '# fleet\n',
    },
    { message: 'first' },
  );
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await ensureNamespace(client, 'apps');
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-loop-'));
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity: 'loop-test',
    leaseDurationMs: 6000,
    stats: { everyMs: 500 },
  });
  await fluxdeck.connect(cluster.name);
  await eventually('this instance to reconcile', () =>
    Promise.resolve(fluxdeck.registry.session(cluster.name)?.status.role === 'reconciling' ? true : undefined),
  );
  await client.create(gitRepository(NS, 'fleet', url, { interval: '5s' }));
  await client.create(
    kustomization(NS, 'apps', 'fleet', { path: './apps', targetNamespace: 'apps', wait: true, timeout: '60s' }),
  );
});

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await git.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(git.root, { recursive: true, force: true });
});

describe('the GitOps loop', () => {
  it('applies what is in Git: the Deployment becomes Available and the Kustomization Ready with the revision', async () => {
    const head = (await import('node:child_process'))
      .execFileSync('git', ['-C', bare, 'rev-parse', 'main'])
      .toString()
      .trim();
    const ks = await waitForReady<Kustomization>(client, KS, NS, 'apps', (r) => r.status === 'True');
    expect(readyOf(ks)?.message).toBe(`Applied revision: main@sha1:${head}`);
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${head}`);
    expect(ks.status?.observedGeneration).toBe(ks.metadata.generation);
    expect(ks.status?.inventory?.entries.map((e) => e.id).sort()).toEqual([
      'apps_settings__ConfigMap',
      'apps_web_apps_Deployment',
    ]);
    expect(ks.status?.conditions?.find((c) => c.type === 'Healthy')?.status).toBe('True');
    const src = await get<GitRepository>(GIT.apiVersion, 'GitRepository', NS, 'fleet');
    expect(src?.status?.artifact?.revision).toBe(`main@sha1:${head}`);
    expect(src?.status?.artifact?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const web = await get<KubeObject & { status?: { availableReplicas?: number } }>(
      'apps/v1',
      'Deployment',
      'apps',
      'web',
    );
    expect(web?.status?.availableReplicas).toBe(1);
    expect(web?.metadata.labels).toMatchObject({
      'kustomize.toolkit.fluxcd.io/name': 'apps',
      'kustomize.toolkit.fluxcd.io/namespace': NS,
    });
  });

  it('applies a pushed change on the next source interval, without being asked', async () => {
    const commit = await commitFiles(
      bare,
      { 'apps/settings.yaml': configMapYaml('settings', 'two') },
      { message: 'settings two' },
    );
    await waitForReady<Kustomization>(
      client,
      KS,
      NS,
      'apps',
      (r, ks) => r.status === 'True' && ks.status?.lastAppliedRevision === `main@sha1:${commit}`,
      60_000,
    );
    const cm = await get<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap', 'apps', 'settings');
    expect(cm?.data?.value).toBe('two');
  });

  it('applies a change within seconds of a reconcile request, as `flux reconcile --with-source` asks', async () => {
    const commit = await commitFiles(bare, { 'apps/deploy.yaml': deploymentYaml(2) }, { message: 'scale to 2' });
    const result = await reconcileWithSource('apps');
    expect(result.ready).toBe(true);
    expect(result.message).toBe(`Applied revision: main@sha1:${commit}`);
    const web = await get<KubeObject & { spec: { replicas: number }; status?: { availableReplicas?: number } }>(
      'apps/v1',
      'Deployment',
      'apps',
      'web',
    );
    expect(web?.spec.replicas).toBe(2);
    expect(web?.status?.availableReplicas).toBe(2);
  });

  it('prunes what was deleted from Git', async () => {
    await commitFiles(bare, { 'apps/settings.yaml': null }, { message: 'drop settings' });
    const result = await reconcileWithSource('apps');
    expect(result.ready).toBe(true);
    await eventually(
      'ConfigMap pruned',
      async () => ((await get('v1', 'ConfigMap', 'apps', 'settings')) ? undefined : true),
      30_000,
    );
    const ks = await get<Kustomization>(KS.apiVersion, 'Kustomization', NS, 'apps');
    expect(ks?.status?.inventory?.entries.map((e) => e.id)).toEqual(['apps_web_apps_Deployment']);
  });

  it('on broken YAML reports BuildFailed naming the file, keeps everything applied, and recovers once fixed', async () => {
    const before = await get<Kustomization>(KS.apiVersion, 'Kustomization', NS, 'apps');
    const bad = await commitFiles(
      bare,
      { 'apps/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n spec: [oops\n' },
      { message: 'break it' },
    );
    const result = await reconcileWithSource('apps');
    expect(result.ready).toBe(false);
    expect(result.reason).toBe('BuildFailed');
    expect(result.message).toContain('deploy.yaml');
    const ks = await get<Kustomization>(KS.apiVersion, 'Kustomization', NS, 'apps');
    expect(ks?.status?.lastAppliedRevision).toBe(before?.status?.lastAppliedRevision);
    expect(ks?.status?.lastAttemptedRevision).toBe(`main@sha1:${bad}`);
    expect(ks?.status?.inventory).toEqual(before?.status?.inventory);
    expect(await get('apps/v1', 'Deployment', 'apps', 'web')).toBeDefined();
    const fixed = await commitFiles(
      bare,
      { 'apps/deploy.yaml': deploymentYaml(2, 'nginx:1.28') },
      { message: 'fix it' },
    );
    const recovered = await reconcileWithSource('apps');
    expect(recovered).toMatchObject({ ready: true, message: `Applied revision: main@sha1:${fixed}` });
  });

  it('reports a missing source and a missing path with the reason and message', async () => {
    await client.create(kustomization(NS, 'lost', 'nowhere', { path: './apps', targetNamespace: 'apps' }));
    await waitForReady(
      client,
      KS,
      NS,
      'lost',
      (r) =>
        r.status === 'False' &&
        r.reason === 'ArtifactFailed' &&
        r.message.includes("Source 'GitRepository/flux-system/nowhere' not found"),
    );
    await client.patch(
      { ...KS, namespace: NS, name: 'lost' },
      { spec: { sourceRef: { kind: 'GitRepository', name: 'fleet' }, path: './nope' } },
      'merge',
    );
    await waitForReady(
      client,
      KS,
      NS,
      'lost',
      (r) => r.status === 'False' && r.message.includes("kustomization path not found: './nope'"),
    );
    await client.delete({ ...KS, namespace: NS, name: 'lost' });
  });

  it('applies a dependsOn chain in order', async () => {
    await commitFiles(
      bare,
      {
        'infra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: chain\n',
        'chain/app.yaml': configMapYaml('app', 'after-infra'),
      },
      { message: 'chain' },
    );
    await client.create(
      kustomization(NS, 'chain-app', 'fleet', {
        path: './chain',
        targetNamespace: 'chain',
        dependsOn: [{ name: 'chain-infra' }],
      }),
    );
    await waitForReady(client, KS, NS, 'chain-app', (r) => r.status === 'False' && r.reason === 'DependencyNotReady');
    expect(await get('v1', 'ConfigMap', 'chain', 'app')).toBeUndefined();
    await client.create(kustomization(NS, 'chain-infra', 'fleet', { path: './infra' }));
    await waitForReady(client, KS, NS, 'chain-infra', (r) => r.status === 'True');
    await waitForReady(client, KS, NS, 'chain-app', (r) => r.status === 'True', 30_000);
    const cm = await get<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap', 'chain', 'app');
    expect(cm?.data?.value).toBe('after-infra');
  });

  it('names a dependsOn cycle instead of waiting forever', async () => {
    await client.create(kustomization(NS, 'cycle-a', 'fleet', { path: './chain', dependsOn: [{ name: 'cycle-b' }] }));
    await client.create(kustomization(NS, 'cycle-b', 'fleet', { path: './chain', dependsOn: [{ name: 'cycle-a' }] }));
    const a = await waitForReady(
      client,
      KS,
      NS,
      'cycle-a',
      (r) => r.reason === 'DependencyNotReady' && r.message.includes('dependency cycle'),
    );
    expect(readyOf(a)?.message).toContain('flux-system/cycle-a -> flux-system/cycle-b -> flux-system/cycle-a');
  });

  it('does not apply while suspended, and catches up on resume', async () => {
    const ref = { kind: fluxKinds.Kustomization, namespace: NS, name: 'apps' };
    await setSuspended(client, ref, true, { reason: 'maintenance' });
    const commit = await commitFiles(
      bare,
      { 'apps/deploy.yaml': deploymentYaml(3, 'nginx:1.28') },
      { message: 'scale to 3' },
    );
    await requestReconcile(
      client,
      { kind: fluxKinds.GitRepository, namespace: NS, name: 'fleet' },
      { timeoutMs: 60_000, pollMs: 200 },
    );
    await expect(reconcileWithSource('apps')).rejects.toThrow(/is suspended; resume it first/);
    const web = await get<KubeObject & { spec: { replicas: number } }>('apps/v1', 'Deployment', 'apps', 'web');
    expect(web?.spec.replicas).toBe(2);
    const ks = await get<Kustomization>(KS.apiVersion, 'Kustomization', NS, 'apps');
    expect(ks?.metadata.annotations?.['suspend.toolkit.fluxcd.io/reason']).toBe('maintenance');
    const result = await resume(client, ref, { timeoutMs: 90_000, pollMs: 200 });
    expect(result).toMatchObject({ ready: true, message: `Applied revision: main@sha1:${commit}` });
    const scaled = await get<KubeObject & { spec: { replicas: number } }>('apps/v1', 'Deployment', 'apps', 'web');
    expect(scaled?.spec.replicas).toBe(3);
  });

  it('puts back a change made by hand (drift) and reports it on the bus', async () => {
    const drifts: string[] = [];
    const off = fluxdeck.bus.on('flux.event', (e) => {
      if (e.drifted) drifts.push(...e.drifted.map((d) => d.subject));
    });
    await client.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'web' },
      { spec: { replicas: 5 } },
      'merge',
      { fieldManager: 'kubectl-edit' },
    );
    const result = await requestReconcile(
      client,
      { kind: fluxKinds.Kustomization, namespace: NS, name: 'apps' },
      { timeoutMs: 90_000, pollMs: 200 },
    );
    off();
    expect(result.ready).toBe(true);
    const web = await get<KubeObject & { spec: { replicas: number } }>('apps/v1', 'Deployment', 'apps', 'web');
    expect(web?.spec.replicas).toBe(3);
    expect(drifts).toContain('Deployment/apps/web');
  });

  it('previews a local change with `fluxdeck diff kustomization --path`, as `flux diff` does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-diff-'));
    await writeFile(join(dir, 'deploy.yaml'), deploymentYaml(7, 'nginx:1.28'));
    await writeFile(join(dir, 'extra.yaml'), configMapYaml('extra', 'new'));
    const out: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      signal: new AbortController().signal,
    };
    const code = await diffCommand.run(
      ['kustomization', 'apps', '--path', dir, '-n', NS, '--kubeconfig', cluster.kubeconfig],
      io,
    );
    const text = out.join('');
    expect(code).toBe(1);
    expect(text).toContain('► ConfigMap/apps/extra created');
    expect(text).toContain('► Deployment/apps/web drifted');
    expect(text).toMatch(/~ spec\.replicas: 3 → 7 \(set by kustomize-controller/);
    // Nothing was applied.
    expect(await get('v1', 'ConfigMap', 'apps', 'extra')).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });

  it('garbage-collects on deletion of a Kustomization with prune', async () => {
    await client.delete({ ...KS, namespace: NS, name: 'chain-app' });
    await eventually(
      'chain-app gone',
      async () => ((await get(KS.apiVersion, 'Kustomization', NS, 'chain-app')) ? undefined : true),
      60_000,
    );
    expect(await get('v1', 'ConfigMap', 'chain', 'app')).toBeUndefined();
  });

  it('says what it spends: reconciles per kind, API requests and its queue, in the app and to `fluxdeck stats`', async () => {
    const stats = fluxdeck.workbench.stats();
    const mine = stats.clusters.find((c) => c.context === cluster.name);
    expect(mine?.queue).toBeDefined();
    expect(mine?.requestsByVerb.APPLY).toBeGreaterThan(0);
    expect(mine?.requestsTotal).toBe(Object.values(mine?.requestsByVerb ?? {}).reduce((a, b) => a + b, 0));
    const kinds = new Map(mine?.kinds.map((k) => [k.kind, k]));
    expect(kinds.get('Kustomization')?.total).toBeGreaterThan(1);
    expect(kinds.get('GitRepository')?.total).toBeGreaterThan(0);
    expect(kinds.get('Kustomization')?.p99Ms).toBeGreaterThanOrEqual(kinds.get('Kustomization')?.p50Ms ?? 0);
    expect(stats.process.rssBytes).toBeGreaterThan(stats.process.heapUsedBytes);

    // Another terminal reads what this running instance published in its data directory.
    const printed = await eventually('the published snapshot to list the Kustomization reconciles', async () => {
      const io = cliIO();
      const code = await statsCommand.run(['--data-dir', dataDir], io.io);
      return code === 0 && io.out().includes('Kustomization') ? io.out() : undefined;
    });
    expect(printed).toContain(`pid ${process.pid} (loop-test)`);
    expect(printed).toMatch(new RegExp(`^${cluster.name}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'));
  });
});
