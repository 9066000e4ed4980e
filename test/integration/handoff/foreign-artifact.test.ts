import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import type { GitRepository } from '../../../main/flux/source.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
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

// The round trip Fluxdeck → in-cluster Flux → Fluxdeck. Flux's source-controller stores its own tarball of the same
// revision (other bytes, other digest) and writes its URL into status; this instance's storage still holds its own
// tarball at the same path. Fluxdeck must notice that status describes another file, rebuild and rewrite it, and the
// Kustomization must apply within its reconcile instead of failing with "it was replaced or damaged" for ever.

const cluster = inject('cluster');
const NS = 'handoff-artifact';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const GIT = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository' };

let git: GitServer;
let client: ClusterClient;
let dataDir: string;
let commit: string;
const engines: Fluxdeck[] = [];

const engine = async (identity: string): Promise<Fluxdeck> => {
  const f = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity,
    leaseDurationMs: 6000,
    observeCheckMs: 1000,
    // Its own Lease: an instance another test left holding kube-system's must not make this one a standby.
    leaseNamespace: NS,
  });
  engines.push(f);
  await f.connect(cluster.name);
  const role = (): string => f.registry.session(cluster.name)?.status.role ?? 'no session';
  await eventually(
    `${identity} to reconcile`,
    () => Promise.resolve(role() === 'reconciling' ? true : undefined),
    60_000,
    () => Promise.resolve(role()),
  );
  return f;
};

beforeAll(async () => {
  git = await startGitServer();
  const url = await git.createRepo('handoff-artifact');
  commit = await commitFiles(git.repoPath('handoff-artifact'), {
    'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  v: "1"\n',
    'app/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  v: "1"\n',
  });
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-handoff-artifact-'));
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await client.create(gitRepository(NS, 'app', url, { interval: '10m' }));
  await client.create(kustomization(NS, 'app', 'app', { path: './app', targetNamespace: NS, retryInterval: '1m' }));
});

afterAll(async () => {
  for (const e of engines) await e.stop();
  await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).catch(() => undefined);
  client.close();
  await git.close();
  await Promise.all([dataDir, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

describe('an artifact status written by in-cluster Flux', () => {
  it(
    'is rebuilt and rewritten by the source, and the Kustomization applies at once instead of failing',
    {
      timeout: 240_000,
    },
    async () => {
      const first = await engine('handoff-a');
      await waitForReady<Kustomization>(client, KS, NS, 'app', (r) => r.status === 'True');
      const ours = (await client.get<GitRepository>({ ...GIT, namespace: NS, name: 'app' })).status!.artifact!;
      expect(ours.revision).toBe(`main@sha1:${commit}`);
      // The address in-cluster Flux's source-controller serves, so kustomize-controller can take over at once.
      expect(ours.url).toBe(
        `http://source-controller.flux-system.svc.cluster.local./gitrepository/${NS}/app/${commit}.tar.gz`,
      );
      await first.stop();

      // What source-controller writes after taking over: same revision and path, its own tarball's digest and size,
      // and its own URL.
      const foreignDigest = `sha256:${'f'.repeat(64)}`;
      await client.patchStatus(
        { ...GIT, namespace: NS, name: 'app' },
        {
          status: {
            artifact: {
              ...ours,
              digest: foreignDigest,
              size: (ours.size ?? 0) + 17,
              url: `http://source-controller.flux-system.svc.cluster.local./gitrepository/${NS}/app/${commit}.tar.gz`,
              lastUpdateTime: new Date(Date.now() + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            },
          },
        },
        { fieldManager: 'source-controller' },
      );
      const token = `handoff-${Date.now()}`;
      await client.patch(
        { ...KS, namespace: NS, name: 'app' },
        { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token } } },
        'merge',
      );

      const second = await engine('handoff-b');
      const ks = await waitForReady<Kustomization>(
        client,
        KS,
        NS,
        'app',
        (r, k) => r.status === 'True' && k.status?.lastHandledReconcileAt === token,
      );
      expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${commit}`);
      // status.history as kustomize-controller writes it: the same build, reconciled again (the source's rewritten
      // status may wake it once more), one snapshot.
      expect(ks.status?.history).toMatchObject([
        { lastReconciledStatus: 'ReconciliationSucceeded', metadata: { revision: `main@sha1:${commit}` } },
      ]);
      expect(ks.status?.history?.[0]?.totalReconciliations).toBeGreaterThanOrEqual(2);
      expect(ks.status?.history?.[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const repo = await client.get<GitRepository>({ ...GIT, namespace: NS, name: 'app' });
      expect(repo.status?.artifact?.digest).not.toBe(foreignDigest);
      expect(repo.status?.artifact?.revision).toBe(ours.revision);
      expect(await second.store.exists(repo.status!.artifact!, { verify: true })).toBe(true);
      // Never failed on the way: no "replaced or damaged" warning was recorded for the Kustomization.
      const events = await client.list<
        KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string; kind?: string } }
      >({ apiVersion: 'v1', kind: 'Event' }, { namespace: NS });
      const failures = events.items.filter(
        (e) =>
          e.involvedObject?.kind === 'Kustomization' &&
          /replaced or damaged|not in local storage/.test(e.message ?? ''),
      );
      expect(failures.map((e) => e.message)).toEqual([]);
    },
  );
});
