import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { type ClusterClient, openCluster } from '../../../main/kube/cluster-client.ts';
import { inventoryFromChangeSet, staleObjects } from '../../../main/kube/inventory.ts';
import { KubeError } from '../../../main/kube/kube-error.ts';
import { loadKubeconfig } from '../../../main/kube/kubeconfig.ts';
import { ApplyError, type ChangeSet, ResourceManager } from '../../../main/kube/resource-manager.ts';
import { WaitError } from '../../../main/kube/status-poller.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { startCluster } from '../../cluster/control-plane.ts';

const cluster = inject('cluster');
const run = promisify(execFile);
const owner = { field: 'kustomize-controller', group: 'kustomize.toolkit.fluxcd.io' };
const ns = `ssa-${process.pid}`;
let client: ClusterClient;
let rm_: ResourceManager;

const kubectl = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string }> =>
  run('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], { env: { ...process.env, ...env } });

const cm = (name: string, data: Record<string, string>, namespace = ns): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

const deployment = (name: string, spec: Record<string, unknown> = {}, namespace = ns): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    ...spec,
  },
});

const labelled = (objects: KubeObject[], name = 'app'): KubeObject[] =>
  rm_.setOwnerLabels(objects, name, 'flux-system');
const actions = (cs: ChangeSet): Record<string, string> => Object.fromEntries(cs.map((e) => [e.subject, e.action]));

async function failure<T extends Error>(p: Promise<unknown>, type: new (...a: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    if (err instanceof type) return err;
    throw err;
  }
  throw new Error(`expected a ${type.name}`);
}

beforeAll(async () => {
  const { config } = await loadKubeconfig([cluster.kubeconfig]);
  client = await openCluster(cluster.name, { kubeconfig: config });
  rm_ = new ResourceManager(client, { owner });
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  client.close();
});

describe('server-side apply engine', () => {
  it('applies a CRD and its custom objects in one batch, waiting for the CRD between stages', async () => {
    // Two served versions; the objects use the one that is not preferred, so reading them back in any other
    // version would show drift that is not there.
    const group = `p${process.pid}.fluxdeck.dev`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `gizmos.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo' },
        versions: ['v1', 'v1beta1'].map((name) => ({
          name,
          served: true,
          storage: name === 'v1',
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
            },
          },
        })),
      },
    };
    const gizmos = [1, 2, 3, 4].map((i) => ({
      apiVersion: `${group}/v1beta1`,
      kind: 'Gizmo',
      metadata: { name: `g${i}`, namespace: ns },
      spec: { size: i },
    }));
    const cs = await rm_.applyAllStaged(labelled([...gizmos, crd]));
    expect(cs.map((e) => `${e.subject} ${e.action}`)).toEqual([
      `CustomResourceDefinition/gizmos.${group} created`,
      `Gizmo/${ns}/g1 created`,
      `Gizmo/${ns}/g2 created`,
      `Gizmo/${ns}/g3 created`,
      `Gizmo/${ns}/g4 created`,
    ]);
    const g2 = await client.get({ apiVersion: `${group}/v1beta1`, kind: 'Gizmo', namespace: ns, name: 'g2' });
    expect(g2.spec).toEqual({ size: 2 });
    expect(g2.metadata.labels?.['kustomize.toolkit.fluxcd.io/name']).toBe('app');
    expect(Object.values(actions(await rm_.applyAllStaged(labelled([crd, ...gizmos]))))).toEqual(
      Array(5).fill('unchanged'),
    );
  });

  it('re-applies 300 unchanged objects with zero writes, with and without the memo of verified objects', async () => {
    const space = `${ns}-many`;
    const objects = labelled([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: space } },
      ...Array.from({ length: 150 }, (_, i) => cm(`cm-${i}`, { i: String(i) }, space)),
      ...Array.from({ length: 100 }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: `sa-${i}`, namespace: space },
      })),
      ...Array.from({ length: 49 }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${i}`, namespace: space },
        spec: { selector: { app: `a${i}` }, ports: [{ port: 80, targetPort: 8080 }] },
      })),
    ]);
    expect(objects).toHaveLength(300);
    const first = await rm_.applyAllStaged(objects);
    expect(first.filter((e) => e.action === 'created')).toHaveLength(300);
    const versions = async (): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      for (const kind of ['ConfigMap', 'ServiceAccount', 'Service']) {
        const list = await client.list({ apiVersion: 'v1', kind }, { namespace: space });
        for (const o of list.items) out.set(`${kind}/${o.metadata.name ?? ''}`, o.metadata.resourceVersion ?? '');
      }
      return out;
    };
    const before = await versions();
    const writes = (): number => (client.stats.byVerb.APPLY ?? 0) + (client.stats.byVerb.PATCH ?? 0);

    // Same client: the memo knows these objects are in sync, so not even a dry-run is sent.
    const applyBefore = writes();
    const again = await rm_.applyAllStaged(objects);
    expect(again.every((e) => e.action === 'unchanged')).toBe(true);
    expect(writes() - applyBefore).toBe(0);

    // A fresh client has no memo: every object is dry-run, and still nothing is written.
    const { config } = await loadKubeconfig([cluster.kubeconfig]);
    const fresh = await openCluster(cluster.name, { kubeconfig: config });
    try {
      const cold = await new ResourceManager(fresh, { owner }).applyAllStaged(objects);
      expect(cold.every((e) => e.action === 'unchanged')).toBe(true);
      expect(fresh.stats.byVerb.APPLY).toBe(300); // dry-runs only
      expect(fresh.stats.byVerb.PATCH ?? 0).toBe(0);
    } finally {
      fresh.close();
    }
    expect(await versions()).toEqual(before);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: space });
  });

  it('detects a kubectl edit as drift, names kubectl-edit as the manager, and puts the field back', async () => {
    const desired = labelled([deployment('edited', { replicas: 0 })]);
    await rm_.applyAllStaged(desired);
    await kubectl(['edit', '-n', ns, 'deployment/edited'], {
      KUBE_EDITOR: `sed -i -e 's/^  replicas: 0$/  replicas: 3/'`,
    });
    // A client-side apply adds a label and kubectl's last-applied annotation, both owned by kubectl.
    const live = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'edited' });
    expect(live.spec).toMatchObject({ replicas: 3 });
    const diff = await rm_.diff(desired[0]!);
    expect(diff.entry.action).toBe('configured');
    expect(diff.changes).toEqual([
      expect.objectContaining({
        path: 'spec.replicas',
        op: 'changed',
        live: 3,
        desired: 0,
        manager: 'kubectl-edit',
        operation: 'Update',
      }),
    ]);
    expect(diff.changes[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT/);

    const cs = await rm_.applyAllStaged(desired);
    expect(actions(cs)).toEqual({ [`Deployment/${ns}/edited`]: 'configured' });
    const fixed = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'edited' });
    expect(fixed.spec).toMatchObject({ replicas: 0 });
    const managers = (fixed.metadata.managedFields as { manager: string; subresource?: string }[])
      .filter((m) => !m.subresource)
      .map((m) => m.manager);
    expect(managers).not.toContain('kubectl-edit');
  });

  it('takes over what kubectl client-side apply set, removing its annotation and fields no longer wanted', async () => {
    const desired = labelled([cm('csa', { a: '1' })]);
    await rm_.applyAllStaged(desired);
    const manifest = JSON.stringify({ ...cm('csa', { a: '1', extra: 'from-kubectl' }) });
    await run('sh', ['-c', `echo '${manifest}' | kubectl --kubeconfig ${cluster.kubeconfig} apply -f -`]);
    const key = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'csa' };
    expect((await client.get(key)).metadata.annotations).toHaveProperty([
      'kubectl.kubernetes.io/last-applied-configuration',
    ]);
    expect(actions(await rm_.applyAllStaged(desired))).toEqual({ [`ConfigMap/${ns}/csa`]: 'configured' });
    const after = await client.get(key);
    expect(after.data).toEqual({ a: '1' });
    expect(after.metadata.annotations ?? {}).not.toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
  });

  it('refuses an immutable change without force, recreates the object with force or the force annotation', async () => {
    const v1 = labelled([deployment('immutable', { replicas: 0 })]);
    await rm_.applyAllStaged(v1);
    const key = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'immutable' };
    const uid = (await client.get(key)).metadata.uid;
    const changedSelector = deployment('immutable', {
      replicas: 0,
      selector: { matchLabels: { app: 'immutable', tier: 'web' } },
      template: {
        metadata: { labels: { app: 'immutable', tier: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    });
    const v2 = labelled([changedSelector]);
    const err = await failure(rm_.applyAllStaged(v2), ApplyError);
    expect(err.message).toMatch(
      new RegExp(`^Deployment/${ns}/immutable dry-run failed \\(Invalid\\): .*field is immutable`),
    );
    expect(err.id).toBe(`${ns}_immutable_apps_Deployment`);
    expect((await client.get(key)).metadata.uid).toBe(uid);

    expect(actions(await rm_.applyAllStaged(v2, { force: true, waitInterval: 200 }))).toEqual({
      [`Deployment/${ns}/immutable`]: 'created',
    });
    const recreated = await client.get(key);
    expect(recreated.metadata.uid).not.toBe(uid);

    // The per-object annotation forces just that object, whatever the batch's force setting.
    const annotated = structuredClone(v1[0]!);
    annotated.metadata.annotations = { 'kustomize.toolkit.fluxcd.io/force': 'Enabled' };
    expect(actions(await rm_.applyAllStaged([annotated], { waitInterval: 200 }))).toEqual({
      [`Deployment/${ns}/immutable`]: 'created',
    });
    expect((await client.get(key)).metadata.uid).not.toBe(recreated.metadata.uid);
  });

  it('honours the ssa policies: Ignore and reconcile disabled skip, IfNotPresent creates once, Merge keeps other fields', async () => {
    const annotated = (o: KubeObject, value: string, key = 'kustomize.toolkit.fluxcd.io/ssa'): KubeObject => ({
      ...o,
      metadata: { ...o.metadata, annotations: { [key]: value } },
    });
    const [ignored, once, merged, disabled] = labelled([
      cm('ignored', { a: '1' }),
      cm('once', { a: '1' }),
      cm('merged', { a: '1' }),
      cm('disabled', { a: '1' }),
    ]);
    const first = await rm_.applyAllStaged([
      annotated(ignored!, 'ignore'),
      annotated(once!, 'IfNotPresent'),
      annotated(merged!, 'Merge'),
      annotated(disabled!, 'disabled', 'kustomize.toolkit.fluxcd.io/reconcile'),
    ]);
    expect(actions(first)).toEqual({
      [`ConfigMap/${ns}/disabled`]: 'skipped',
      [`ConfigMap/${ns}/ignored`]: 'skipped',
      [`ConfigMap/${ns}/merged`]: 'created',
      [`ConfigMap/${ns}/once`]: 'created',
    });
    expect(
      await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'ignored' }),
    ).toBeUndefined();
    // Someone else adds a key to both; IfNotPresent never patches, Merge keeps the other manager's key.
    for (const name of ['once', 'merged'])
      await client.patch(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name },
        { data: { other: 'x' } },
        'merge',
        { fieldManager: 'kubectl-patch' },
      );
    const second = await rm_.applyAllStaged([
      annotated({ ...once!, data: { a: '2' } }, 'IfNotPresent'),
      annotated({ ...merged!, data: { a: '2' } }, 'Merge'),
    ]);
    expect(actions(second)).toEqual({ [`ConfigMap/${ns}/merged`]: 'configured', [`ConfigMap/${ns}/once`]: 'skipped' });
    expect((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'once' })).data).toEqual({
      a: '1',
      other: 'x',
    });
    expect((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'merged' })).data).toEqual({
      a: '2',
      other: 'x',
    });
  });

  it('prunes in reverse order, sparing objects another owner took over or marked prune: disabled', async () => {
    const space = `${ns}-prune`;
    const v1 = labelled([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: space } },
      cm('gone', { a: '1' }, space),
      cm('kept', { a: '1' }, space),
      cm('retaken', { a: '1' }, space),
      cm('protected', { a: '1' }, space),
    ]);
    const inv1 = inventoryFromChangeSet(await rm_.applyAllStaged(v1));
    // Another Kustomization re-applies 'retaken' with its own owner labels; a human marks 'protected'.
    await new ResourceManager(client, { owner }).applyAllStaged(
      rm_.setOwnerLabels([cm('retaken', { a: '1' }, space)], 'other', 'flux-system'),
    );
    await client.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: space, name: 'protected' },
      { metadata: { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' } } },
      'merge',
    );
    const inv2 = inventoryFromChangeSet(await rm_.applyAllStaged(labelled([cm('kept', { a: '1' }, space)])));
    const stale = staleObjects(inv1, inv2);
    expect(stale.map((r) => r.name)).toEqual([space, 'gone', 'protected', 'retaken']);
    const deleted = await rm_.deleteAll(stale, {
      inclusions: rm_.ownerLabels('app', 'flux-system'),
      wait: true,
      waitInterval: 200,
    });
    expect(deleted.map((e) => `${e.subject} ${e.action}`)).toEqual([
      // Reverse apply order: within a kind, names descending too (Flux sorts the whole list in reverse).
      `ConfigMap/${space}/retaken skipped`,
      `ConfigMap/${space}/protected skipped`,
      `ConfigMap/${space}/gone deleted`,
      `Namespace/${space} deleted`,
    ]);
    // The namespace went last; with it (namespace controller) everything in it goes, which is what was asked.
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: space })).toBeUndefined();
  });

  it('never prunes when the new revision has a bad object: the apply fails first, naming the object and the reason', async () => {
    const space = `${ns}-bad`;
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: space } });
    const good = labelled([cm('a', { v: '1' }, space), cm('b', { v: '1' }, space), cm('c', { v: '1' }, space)]);
    const inv1 = inventoryFromChangeSet(await rm_.applyAllStaged(good));
    const rvs = async (): Promise<(string | undefined)[]> =>
      (await client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: space })).items.map(
        (o) => `${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`,
      );
    const before = await rvs();
    // Revision 2 drops `c`, changes `a`, adds `n`, and carries an object the apiserver rejects.
    const bad = labelled([
      cm('a', { v: '2' }, space),
      cm('b', { v: '1' }, space),
      cm('n', { v: '1' }, space),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'broken', namespace: space },
        spec: { ports: [{ port: 999999 }] },
      },
    ]);
    const err = await failure(rm_.applyAllStaged(bad), ApplyError);
    expect(err.id).toBe(`${space}_broken__Service`);
    expect(err.message).toMatch(
      new RegExp(
        `^Service/${space}/broken dry-run failed \\(Invalid\\): Service "broken" is invalid: \\[?spec.ports\\[0\\].port: Invalid value: 999999`,
      ),
    );
    // A controller prunes only after a successful apply, and no live object changed: `a` kept v1, `c` is still
    // there. New objects are created before existing ones change, in kind order (no dry-run for them: the create
    // validates), so `n` (a ConfigMap, before Services) exists; the error's change set says so, for the controller
    // to keep it in the inventory.
    const after = await rvs();
    expect(after.filter((x) => !x?.startsWith('n@'))).toEqual(before);
    expect(after.some((x) => x?.startsWith('n@'))).toBe(true);
    expect(err.changeSet.filter((e) => e.action === 'created').map((e) => e.subject)).toEqual([`ConfigMap/${space}/n`]);
    // Once fixed, the apply succeeds and prune removes exactly `c`.
    const fixed = labelled([cm('a', { v: '2' }, space), cm('b', { v: '1' }, space)]);
    const inv2 = inventoryFromChangeSet(await rm_.applyAllStaged(fixed));
    const pruned = await rm_.deleteAll(staleObjects(inv1, inv2), { inclusions: rm_.ownerLabels('app', 'flux-system') });
    expect(pruned.map((e) => `${e.subject} ${e.action}`)).toEqual([`ConfigMap/${space}/c deleted`]);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: space });
  });

  it('reports kinds the cluster does not serve before writing anything', async () => {
    const batch = labelled([
      cm('never-written', { a: '1' }),
      { apiVersion: 'nowhere.fluxdeck.dev/v1', kind: 'Phantom', metadata: { name: 'p', namespace: ns } },
    ]);
    const err = await failure(rm_.applyAllStaged(batch), ApplyError);
    expect(err.message).toMatch(
      new RegExp(
        `^Phantom/${ns}/p: no matches for kind Phantom in version "nowhere.fluxdeck.dev/v1".*CustomResourceDefinition for group "nowhere.fluxdeck.dev"`,
      ),
    );
    expect(err.id).toBe(`${ns}_p_nowhere.fluxdeck.dev_Phantom`);
    expect(
      await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'never-written' }),
    ).toBeUndefined();
  });

  it('waits for a Deployment to become Available through KWOK, and reports one that cannot as not ready, with why', async () => {
    const good = labelled([deployment('ready-web', { replicas: 2 })]);
    await rm_.applyAllStaged(good);
    const statuses = await rm_.waitForSet(good, { timeout: 90_000, interval: 500 });
    expect(statuses[0]).toMatchObject({ status: 'Current', subject: `Deployment/${ns}/ready-web` });

    const stuck = labelled([
      deployment('stuck-web', {
        progressDeadlineSeconds: 5,
        template: {
          metadata: { labels: { app: 'stuck-web' } },
          spec: { nodeSelector: { 'no-such-node': 'true' }, containers: [{ name: 'app', image: 'nginx:1.27' }] },
        },
      }),
    ]);
    await rm_.applyAllStaged(stuck);
    const err = await failure(
      rm_.waitForSet([...good, ...stuck], { timeout: 60_000, interval: 500, failFast: true }),
      WaitError,
    );
    expect(err.notReady.map((s) => [s.subject, s.status])).toEqual([[`Deployment/${ns}/stuck-web`, 'Failed']]);
    expect(err.message).toMatch(new RegExp(`Deployment/${ns}/stuck-web status: 'Failed': Progress deadline exceeded`));
    // Without failFast the wait runs to its timeout and still says which object and why.
    const timedOut = await failure(rm_.waitForSet(stuck, { timeout: 1500, interval: 500 }), WaitError);
    expect(timedOut.message).toMatch(/^timeout waiting for: \[Deployment\/.*\/stuck-web status: 'Failed'/);
  });

  it('stops a wait as soon as the cluster is disconnected', async () => {
    const { config } = await loadKubeconfig([cluster.kubeconfig]);
    const own = await openCluster(cluster.name, { kubeconfig: config });
    const waiting = new ResourceManager(own, { owner }).waitForSet([cm('never-created', {})], {
      timeout: 600_000,
      interval: 60_000,
    });
    setTimeout(() => own.close(), 300);
    const err = await failure(waiting, KubeError);
    expect(err.reason).toBe('Aborted');
  });

  it('works against two clusters at once', async () => {
    const dir = join(tmpdir(), `fluxdeck-ssa-second-${process.pid}`);
    const second = await startCluster({ name: 'ssa-second', dir, tier: 'api', ownerPid: process.pid });
    try {
      const { config } = await loadKubeconfig([second.kubeconfig]);
      const other = await openCluster('ssa-second', { kubeconfig: config });
      const otherRm = new ResourceManager(other, { owner });
      const batch = (marker: string): KubeObject[] =>
        rm_.setOwnerLabels(
          [
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${ns}-two` } },
            ...Array.from({ length: 20 }, (_, i) => cm(`cm-${i}`, { cluster: marker }, `${ns}-two`)),
          ],
          'app',
          'flux-system',
        );
      const [a, b] = await Promise.all([rm_.applyAllStaged(batch('first')), otherRm.applyAllStaged(batch('second'))]);
      expect(a.every((e) => e.action === 'created')).toBe(true);
      expect(b.every((e) => e.action === 'created')).toBe(true);
      const key = { apiVersion: 'v1', kind: 'ConfigMap', namespace: `${ns}-two`, name: 'cm-7' };
      expect((await client.get(key)).data).toEqual({ cluster: 'first' });
      expect((await other.get(key)).data).toEqual({ cluster: 'second' });
      other.close();
      await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: `${ns}-two` });
    } finally {
      await second.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
