import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { requestReconcile, setSuspended } from '../../../main/controllers/requests/flux-requests.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Kustomization } from '../../../main/flux/kustomize.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { InboxFilter, InboxItem } from '../../../main/notify/index.ts';
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
import { deploymentYaml } from '../../support/manifests.ts';

// The inbox fed by the real engine on the real control plane: a broken manifest becomes an error item, an
// acknowledgement survives a restart, and a `kubectl edit` that the Kustomization puts back becomes a drift item that
// names the field and the manager.

const cluster = inject('cluster');
const NS = 'flux-system';
const TARGET = 'inbox-apps';
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };

let git: GitServer;
let bare: string;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let dataDir: string;

const start = async (): Promise<Fluxdeck> => {
  const fd = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity: `inbox-test-${Date.now()}`,
    leaseDurationMs: 6000,
    // The time-based rules fire at once here; the tests call `evaluate()` rather than wait for the timer.
    inbox: { rules: { suspendedForMs: 0, sourceStaleForMs: 0 }, evaluateEveryMs: 3600_000 },
  });
  await fd.connect(cluster.name);
  await eventually('this instance to reconcile', () =>
    Promise.resolve(fd.registry.session(cluster.name)?.status.role === 'reconciling' ? true : undefined),
  );
  return fd;
};

const waitForItem = (
  what: string,
  filter: InboxFilter,
  test: (i: InboxItem) => boolean = () => true,
): Promise<InboxItem> =>
  eventually(
    what,
    () => Promise.resolve(fluxdeck.inbox.list(filter).items.find(test)),
    90_000,
    () => Promise.resolve(JSON.stringify(fluxdeck.inbox.list().items.map((i) => [i.rule, i.reason, i.message]))),
  );

const reconcile = (withSource: boolean): ReturnType<typeof requestReconcile> =>
  requestReconcile(
    client,
    { kind: fluxKinds.Kustomization, namespace: NS, name: 'inbox' },
    { withSource, timeoutMs: 90_000, pollMs: 200 },
  );

beforeAll(async () => {
  git = await startGitServer();
  const url = await git.createRepo('inbox-fleet');
  bare = git.repoPath('inbox-fleet');
  await commitFiles(bare, { 'apps/deploy.yaml': deploymentYaml(1) }, { message: 'first' });
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await ensureNamespace(client, TARGET);
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-inbox-'));
  fluxdeck = await start();
  await client.create(gitRepository(NS, 'inbox-fleet', url, { interval: '5s' }));
  await client.create(kustomization(NS, 'inbox', 'inbox-fleet', { path: './apps', targetNamespace: TARGET }));
  await waitForReady<Kustomization>(client, KS, NS, 'inbox', (r) => r.status === 'True');
});

afterAll(async () => {
  await client.delete({ ...KS, namespace: NS, name: 'inbox' }).catch(() => undefined);
  await client
    .delete({
      apiVersion: fluxKinds.GitRepository.apiVersion,
      kind: 'GitRepository',
      namespace: NS,
      name: 'inbox-fleet',
    })
    .catch(() => undefined);
  await client
    .delete({
      apiVersion: fluxKinds.GitRepository.apiVersion,
      kind: 'GitRepository',
      namespace: NS,
      name: 'inbox-nowhere',
    })
    .catch(() => undefined);
  await fluxdeck.stop();
  client.close();
  await git.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(git.root, { recursive: true, force: true });
});

describe('the inbox on the real engine', () => {
  let broken: InboxItem;

  it('turns a broken manifest into an unread error naming the object and the file', async () => {
    await commitFiles(
      bare,
      { 'apps/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n spec: [oops\n' },
      { message: 'break it' },
    );
    const result = await reconcile(true);
    expect(result.ready).toBe(false);
    broken = await waitForItem(
      'a BuildFailed item',
      { cluster: cluster.name, kind: 'Kustomization', rule: 'reconcile-failed' },
      (i) => i.reason === 'BuildFailed',
    );
    expect(broken).toMatchObject({
      severity: 'error',
      object: { kind: 'Kustomization', namespace: NS, name: 'inbox' },
      source: 'kustomize-controller',
      read: false,
      acknowledged: false,
    });
    expect(broken.message).toContain('deploy.yaml');
    expect(fluxdeck.inbox.counts().unreadErrors).toBeGreaterThanOrEqual(1);
  });

  it('keeps an acknowledgement across closing the engine and opening the inbox again', async () => {
    expect(fluxdeck.inbox.acknowledge([broken.id])).toBe(1);
    await fluxdeck.stop();
    fluxdeck = await start();
    expect(fluxdeck.inboxNotice).toBeUndefined();
    expect(fluxdeck.inbox.get(broken.id)).toMatchObject({ acknowledged: true, read: true, reason: 'BuildFailed' });
  });

  it('shows a kubectl edit that the Kustomization put back as drift, naming the field and the manager', async () => {
    await commitFiles(bare, { 'apps/deploy.yaml': deploymentYaml(2) }, { message: 'fix it' });
    expect(await reconcile(true)).toMatchObject({ ready: true });
    await client.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: TARGET, name: 'web' },
      { spec: { replicas: 5 } },
      'merge',
      { fieldManager: 'kubectl-edit' },
    );
    expect(await reconcile(false)).toMatchObject({ ready: true });
    const web = await client.tryGet<KubeObject & { spec: { replicas: number } }>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: TARGET,
      name: 'web',
    });
    expect(web?.spec.replicas).toBe(2);

    const drift = await waitForItem('a drift item', { cluster: cluster.name, rule: 'drift-corrected' });
    expect(drift.object).toMatchObject({ kind: 'Kustomization', namespace: NS, name: 'inbox' });
    expect(drift.message).toContain(`Deployment/${TARGET}/web: spec.replicas (set by kubectl-edit)`);
    const [entry] = drift.drift ?? [];
    expect(entry).toMatchObject({ subject: `Deployment/${TARGET}/web`, action: 'configured' });
    const replicas = entry?.changes?.find((c) => c.path === 'spec.replicas');
    expect(replicas).toMatchObject({
      op: 'changed',
      live: 5,
      desired: 2,
      manager: 'kubectl-edit',
      operation: 'Update',
    });
    expect(Date.parse(replicas?.time ?? '')).not.toBeNaN();
  });

  it('raises "suspended" with the time read from managedFields, and resolves it on resume', async () => {
    const ref = { kind: fluxKinds.Kustomization, namespace: NS, name: 'inbox' };
    await setSuspended(client, ref, true, { reason: 'inbox test' });
    const suspended = await eventually('the suspended item', async () => {
      await fluxdeck.inboxFeed.evaluate();
      return fluxdeck.inbox.list({ rule: 'suspended', open: true, name: 'inbox' }).items[0];
    });
    expect(suspended.message).toContain('(reason: inbox test)');
    await setSuspended(client, ref, false);
    await eventually('the suspended item to resolve', async () => {
      await fluxdeck.inboxFeed.evaluate();
      return fluxdeck.inbox.get(suspended.id)?.resolvedAt;
    });
  });

  it('raises "source stale" for a source that cannot fetch', async () => {
    await client.create(gitRepository(NS, 'inbox-nowhere', `${git.url}/missing.git`, { interval: '1m' }));
    // With a zero threshold the item opens before the first fetch; it then follows the source's last error.
    const stale = await eventually('the source-stale item with the fetch error', async () => {
      await fluxdeck.inboxFeed.evaluate();
      const [item] = fluxdeck.inbox.list({ rule: 'source-stale', open: true, name: 'inbox-nowhere' }).items;
      return item?.message.includes('Last error:') ? item : undefined;
    });
    expect(stale).toMatchObject({ severity: 'warning', object: { kind: 'GitRepository', name: 'inbox-nowhere' } });
    expect(stale.message).toContain('there is no artifact yet. Last error:');
  });
});
