import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type CliProcess, runCli, startCli } from '../../support/cli-process.ts';
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

// Several `fluxdeck` processes on one cluster, as people really run them: two `fluxdeck run` instances elect one
// leader through the Lease; the CLI drives the running one the way `flux reconcile` does; killing the leader with
// SIGKILL (no release, possibly mid-apply) hands the cluster to the other, which converges with nothing lost.

const cluster = inject('cluster');
const NS = 'multi';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const LEASE = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  namespace: 'kube-system',
  name: 'fluxdeck-controllers',
};

let git: GitServer;
let bare: string;
let client: ClusterClient;
const dirs: string[] = [];
const processes: CliProcess[] = [];

const configMaps = (n: number, value: string): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `bulk/cm-${String(i).padStart(3, '0')}.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  value: "${value}"\n`,
    ]),
  );

async function startRun(identity: string, contexts = ['--context', cluster.name]): Promise<CliProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), `fluxdeck-${identity}-`));
  dirs.push(dataDir);
  const p = startCli([
    'run',
    '--kubeconfig',
    cluster.kubeconfig,
    ...contexts,
    '--identity',
    identity,
    '--data-dir',
    dataDir,
    // Flux's flag: a killed leader's lease runs out in 6 s instead of 15 s, so the hand-over test waits less.
    '--leader-election-lease-duration',
    '6s',
  ]);
  processes.push(p);
  return p;
}

const holder = async (): Promise<string | undefined> =>
  (await client.tryGet<KubeObject & { spec?: { holderIdentity?: string } }>(LEASE))?.spec?.holderIdentity;

beforeAll(async () => {
  git = await startGitServer();
  const url = await git.createRepo('multi');
  bare = git.repoPath('multi');
  await commitFiles(bare, configMaps(3, 'v1'), { message: 'three' });
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await client.create(gitRepository(NS, 'multi', url, { interval: '10m' }));
  await client.create(kustomization(NS, 'bulk', 'multi', { path: './bulk', interval: '10m', targetNamespace: NS }));
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
  client.close();
  await git.close();
  await Promise.all([...dirs, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

describe('fluxdeck run instances on one cluster', () => {
  let a: CliProcess;
  let b: CliProcess;

  it('elect one leader: the first reconciles, the second waits', async () => {
    a = await startRun('instance-a');
    await a.waitFor(/\(reconciling\)/);
    b = await startRun('instance-b');
    await b.waitFor(/another Fluxdeck instance \(instance-a\) reconciles this cluster/);
    expect(await holder()).toBe('instance-a');
    await waitForReady<Kustomization>(client, KS, NS, 'bulk', (r) => r.status === 'True');
    // The status is in the cluster before the leader has printed its line: wait for the line, do not race it.
    await a.waitFor(/✔ .* Kustomization multi\/bulk reconciled/);
    expect(b.output()).not.toMatch(/Kustomization multi\/bulk reconciled/);
  });

  it('answers `fluxdeck reconcile --with-source` from another process, and `fluxdeck get` shows the result', async () => {
    const commit = await commitFiles(bare, configMaps(3, 'v2'), { message: 'v2' });
    const r = await runCli([
      'reconcile',
      'kustomization',
      'bulk',
      '--with-source',
      '-n',
      NS,
      '--kubeconfig',
      cluster.kubeconfig,
      '--timeout',
      '90s',
    ]);
    expect(r.output).toContain(`✔ Kustomization ${NS}/bulk reconciled: Applied revision: main@sha1:${commit}`);
    expect(r.code).toBe(0);
    const get = await runCli(['get', 'kustomizations', '-n', NS, '--kubeconfig', cluster.kubeconfig]);
    expect(get.code).toBe(0);
    expect(get.output).toMatch(
      new RegExp(
        `^NAME\\s+REVISION\\s+SUSPENDED\\s+READY\\s+MESSAGE\\nbulk\\s+main@sha1:${commit}\\s+false\\s+True\\s+Applied revision`,
        'm',
      ),
    );
    const tree = await runCli(['tree', 'kustomization', 'bulk', '-n', NS, '--kubeconfig', cluster.kubeconfig]);
    expect(tree.output).toContain(`Kustomization/${NS}/bulk\n├── ConfigMap/${NS}/cm-0\n`);
  });

  it('hands over to the standby when the leader is killed mid-apply, which converges with nothing lost', async () => {
    const commit = await commitFiles(bare, configMaps(150, 'v3'), { message: 'one hundred fifty' });
    const killed = a.waitFor(/Fetching manifests|reconciled/, 5_000).catch(() => undefined);
    const request = runCli([
      'reconcile',
      'kustomization',
      'bulk',
      '--with-source',
      '-n',
      NS,
      '--kubeconfig',
      cluster.kubeconfig,
      '--timeout',
      '120s',
    ]);
    // Let the leader start on the new revision, then kill it without any chance to clean up.
    await eventually(
      'the leader to start applying',
      async () => {
        const ks = await client.tryGet<Kustomization>({ ...KS, namespace: NS, name: 'bulk' });
        return ks?.status?.lastAttemptedRevision === `main@sha1:${commit}` ||
          ks?.status?.conditions?.some((c) => c.type === 'Reconciling' && c.message.includes(commit))
          ? true
          : undefined;
      },
      60_000,
    );
    await killed;
    await a.kill('SIGKILL');
    await b.waitFor(/\(reconciling\)/, 60_000);
    expect(await holder()).toBe('instance-b');
    const result = await request;
    expect(result.output).toContain(`Applied revision: main@sha1:${commit}`);
    const ks = await waitForReady<Kustomization>(
      client,
      KS,
      NS,
      'bulk',
      (r, k) => r.status === 'True' && k.status?.lastAppliedRevision === `main@sha1:${commit}`,
      120_000,
    );
    expect(ks.status?.inventory?.entries).toHaveLength(150);
    const cms = await client.list<KubeObject & { data?: Record<string, string> }>(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: NS, labelSelector: 'kustomize.toolkit.fluxcd.io/name=bulk' },
    );
    expect(cms.items).toHaveLength(150);
    expect(new Set(cms.items.map((c) => c.data?.value))).toEqual(new Set(['v3']));
  });

  it('releases the lease on a clean stop', async () => {
    const code = await b.kill('SIGINT');
    expect(code).toBe(0);
    expect(b.output()).toContain('stopping (releasing leases)');
    expect(await holder()).toBeFalsy();
  });
});

// The test cluster's kubeconfig has two contexts to it (a client certificate and a token), as many users' kubeconfigs
// do. One process holds a cluster's Lease under one identity, so without care both contexts would lead.
describe('fluxdeck run --all-contexts with two contexts to one cluster', () => {
  it('reconciles through one context while the other stands by', async () => {
    const p = await startRun('instance-c', ['--all-contexts']);
    const standby = await p.waitFor(/◎ (\S+): \S+ \(standby\): context (\S+) of this Fluxdeck reconciles this cluster/);
    const [, waiting, leading] = standby as unknown as [string, string, string];
    expect(new Set([waiting, leading])).toEqual(new Set([cluster.name, `${cluster.name}-token`]));
    await p.waitFor(new RegExp(`◎ ${leading}: \\S+ \\(reconciling\\)`));
    expect(await holder()).toBe('instance-c');
    // A requested reconcile is seen by both contexts' watches; only the leading one acts on it.
    const r = await runCli(['reconcile', 'kustomization', 'bulk', '-n', NS, '--kubeconfig', cluster.kubeconfig]);
    expect(r.code).toBe(0);
    const reconciledBy = new Set(
      [...p.output().matchAll(/✔ (\S+) Kustomization multi\/bulk reconciled/g)].map((m) => m[1]),
    );
    expect(reconciledBy).toEqual(new Set([leading]));
    expect(await p.kill('SIGINT')).toBe(0);
  });
});
