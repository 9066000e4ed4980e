import { describe, expect, it } from 'vitest';

import type {
  Applier,
  KustomizationEvent,
  KustomizationPorts,
  SourceLookup,
} from '../../../../main/controllers/kustomization/ports.ts';
import { healthCheckRefs, reconcileKustomization } from '../../../../main/controllers/kustomization/reconcile.ts';
import type { Kustomization, KustomizationStatus } from '../../../../main/flux/kustomize.ts';
import { changeEntry, type ChangeSetEntry } from '../../../../main/kube/change-set.ts';
import type { InventoryRef } from '../../../../main/kube/inventory.ts';
import { ApplyError } from '../../../../main/kube/resource-manager.ts';
import type { KubeObject } from '../../../../main/util/kube-object.ts';

// The reconciler's plan against fake ports (unit test). The same reconciler runs against the real control plane in
// test/integration/loop.

const REV = 'main@sha1:1111111111111111111111111111111111111111';

function ks(
  spec: Partial<Kustomization['spec']> = {},
  status?: KustomizationStatus,
  meta: Partial<Kustomization['metadata']> = {},
): Kustomization {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'apps', namespace: 'flux-system', generation: 3, finalizers: ['finalizers.fluxcd.io'], ...meta },
    spec: { interval: '10m', prune: true, path: './apps', sourceRef: { kind: 'GitRepository', name: 'repo' }, ...spec },
    ...(status ? { status } : {}),
  };
}

const cm = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: {},
});

interface Harness {
  ports: KustomizationPorts;
  statuses: KustomizationStatus[];
  events: KustomizationEvent[];
  applied: KubeObject[][];
  pruned: InventoryRef[][];
  finalizers: boolean[];
}

function harness(opts: {
  source?: SourceLookup;
  build?: () => Promise<KubeObject[]>;
  apply?: (objects: KubeObject[]) => Promise<ChangeSetEntry[]>;
  healthy?: boolean;
  deps?: Kustomization[];
}): Harness {
  const h: Harness = {
    statuses: [],
    events: [],
    applied: [],
    pruned: [],
    finalizers: [],
    ports: undefined as unknown as KustomizationPorts,
  };
  const applier: Applier = {
    apply: (objects) => {
      h.applied.push(objects);
      return opts.apply ? opts.apply(objects) : Promise.resolve(objects.map((o) => changeEntry(o, 'created')));
    },
    prune: (stale) => {
      h.pruned.push(stale);
      return Promise.resolve(stale.map((r) => changeEntry(r, 'deleted')));
    },
    waitHealthy: () =>
      Promise.resolve(
        opts.healthy === false
          ? { healthy: false, message: 'Deployment/default/web: 0 of 2 replicas available' }
          : { healthy: true },
      ),
  };
  h.ports = {
    source: () =>
      opts.source ?? {
        found: true,
        kind: 'GitRepository',
        supported: true,
        ready: true,
        artifact: { path: 'p', url: 'u', revision: REV, digest: 'sha256:x', lastUpdateTime: '2026-01-01T00:00:00Z' },
      },
    dependency: (_ns, name) => opts.deps?.find((d) => d.metadata.name === name),
    openArtifact: () => Promise.resolve({ files: true }),
    hasPath: (_f, path) => path !== './missing',
    build: () => (opts.build ? opts.build() : Promise.resolve([cm('a'), cm('b')])),
    manifestsDigest: (objects) => `sha256:${objects.map((o) => o.metadata.name).join('+')}`,
    variables: () => Promise.resolve(undefined),
    applier: () => Promise.resolve(applier),
    writeStatus: (_k, status) => {
      h.statuses.push(structuredClone(status));
      return Promise.resolve();
    },
    setFinalizer: (_k, present) => {
      h.finalizers.push(present);
      return Promise.resolve();
    },
    event: (_k, e) => h.events.push(e),
    requeueDependencyMs: 5000,
    now: () => new Date('2026-11-26T12:00:00Z'),
  };
  return h;
}

const signal = new AbortController().signal;
const ready = (s: KustomizationStatus | undefined): { status?: string; reason?: string; message?: string } => {
  const c = s?.conditions?.find((x) => x.type === 'Ready');
  return { status: c?.status, reason: c?.reason, message: c?.message };
};

describe('Kustomization reconcile', () => {
  it('applies a revision: progress first, then Ready=True with the revision, inventory and generation', async () => {
    const h = harness({});
    const outcome = await reconcileKustomization(
      ks({}, undefined, { annotations: { 'reconcile.fluxcd.io/requestedAt': 'r1' } }),
      h.ports,
      signal,
    );
    expect(outcome).toEqual({ requeueAfterMs: 600_000 });
    expect(h.statuses[0]!.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Reconciling=True',
      'Ready=Unknown',
    ]);
    const final = h.statuses.at(-1)!;
    expect(ready(final)).toEqual({
      status: 'True',
      reason: 'ReconciliationSucceeded',
      message: `Applied revision: ${REV}`,
    });
    expect(final.conditions!.some((c) => c.type === 'Reconciling')).toBe(false);
    expect(final).toMatchObject({
      lastAppliedRevision: REV,
      lastAttemptedRevision: REV,
      observedGeneration: 3,
      lastHandledReconcileAt: 'r1',
    });
    expect(final.inventory!.entries).toEqual([
      { id: 'default_a__ConfigMap', v: 'v1' },
      { id: 'default_b__ConfigMap', v: 'v1' },
    ]);
    expect(h.events.map((e) => e.message)).toEqual([
      'ConfigMap/default/a created\nConfigMap/default/b created',
      expect.stringMatching(/^Reconciliation finished in .*, next run in 10m0s$/),
    ]);
  });

  it('prunes objects that left the source, and only when prune is on', async () => {
    const previous: KustomizationStatus = {
      lastAppliedRevision: 'main@sha1:old',
      inventory: {
        entries: [
          { id: 'default_a__ConfigMap', v: 'v1' },
          { id: 'default_gone__ConfigMap', v: 'v1' },
        ],
      },
    };
    const h = harness({});
    await reconcileKustomization(ks({}, previous), h.ports, signal);
    expect(h.pruned).toEqual([[{ group: '', kind: 'ConfigMap', namespace: 'default', name: 'gone', version: 'v1' }]]);
    const h2 = harness({});
    await reconcileKustomization(ks({ prune: false }, previous), h2.ports, signal);
    expect(h2.pruned).toEqual([]);
  });

  it('on a build error records BuildFailed, applies and prunes nothing, and keeps the last applied revision and inventory', async () => {
    const previous: KustomizationStatus = {
      lastAppliedRevision: 'main@sha1:old',
      inventory: { entries: [{ id: 'default_a__ConfigMap', v: 'v1' }] },
    };
    const h = harness({
      build: () => Promise.reject(new Error('apps/deploy.yaml:7:3: mapping values are not allowed here')),
    });
    const outcome = await reconcileKustomization(ks({ retryInterval: '1m' }, previous), h.ports, signal);
    expect(outcome).toEqual({
      requeueAfterMs: 60_000,
      failure: 'apps/deploy.yaml:7:3: mapping values are not allowed here',
    });
    expect(h.applied).toEqual([]);
    expect(h.pruned).toEqual([]);
    const final = h.statuses.at(-1)!;
    expect(ready(final)).toEqual({
      status: 'False',
      reason: 'BuildFailed',
      message: 'apps/deploy.yaml:7:3: mapping values are not allowed here',
    });
    expect(final.conditions!.find((c) => c.type === 'Reconciling')?.reason).toBe('ProgressingWithRetry');
    expect(final).toMatchObject({
      lastAppliedRevision: 'main@sha1:old',
      lastAttemptedRevision: REV,
      inventory: previous.inventory,
    });
    expect(h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'BuildFailed' });
  });

  it('on an apply error records ReconciliationFailed and prunes nothing', async () => {
    const previous: KustomizationStatus = { inventory: { entries: [{ id: 'default_gone__ConfigMap', v: 'v1' }] } };
    const h = harness({
      apply: () => Promise.reject(new Error('ConfigMap/default/a apply failed: connection refused')),
    });
    await reconcileKustomization(ks({}, previous), h.ports, signal);
    expect(ready(h.statuses.at(-1))).toMatchObject({ status: 'False', reason: 'ReconciliationFailed' });
    expect(h.pruned).toEqual([]);
    expect(h.statuses.at(-1)!.inventory).toEqual(previous.inventory);
  });

  it('keeps objects a failed apply created in the inventory, so a later revision can prune them', async () => {
    const previous: KustomizationStatus = { inventory: { entries: [{ id: 'default_old__ConfigMap', v: 'v1' }] } };
    const h = harness({
      apply: (objs) =>
        Promise.reject(
          new ApplyError('ConfigMap/default/b dry-run failed (Invalid): bad', {
            changeSet: [changeEntry(objs[0]!, 'created'), changeEntry(cm('old'), 'unchanged')],
          }),
        ),
    });
    await reconcileKustomization(ks({}, previous), h.ports, signal);
    expect(ready(h.statuses.at(-1))).toMatchObject({ status: 'False', reason: 'ReconciliationFailed' });
    expect(h.pruned).toEqual([]);
    expect(h.statuses.at(-1)!.inventory?.entries.map((e) => e.id)).toEqual([
      'default_old__ConfigMap',
      `default_${h.applied[0]![0]!.metadata.name}__ConfigMap`,
    ]);
  });

  it.each<[string, SourceLookup, string, number]>([
    ['missing source', { found: false }, "Source 'GitRepository/flux-system/repo' not found", 600_000],
    [
      'source without artifact',
      { found: true, kind: 'GitRepository', supported: true, ready: false },
      'Source artifact not found, retrying in 5s',
      5000,
    ],
  ])('reports a %s as ArtifactFailed', async (_n, source, message, requeue) => {
    const h = harness({ source });
    expect(await reconcileKustomization(ks(), h.ports, signal)).toEqual({ requeueAfterMs: requeue, failure: message });
    expect(ready(h.statuses.at(-1))).toEqual({ status: 'False', reason: 'ArtifactFailed', message });
  });

  it("waits for a source's first artifact without a warning event, and warns about a missing source", async () => {
    const waiting = harness({ source: { found: true, kind: 'GitRepository', supported: true, ready: false } });
    await reconcileKustomization(ks(), waiting.ports, signal);
    expect(waiting.events).toEqual([]);
    const missing = harness({ source: { found: false } });
    await reconcileKustomization(ks(), missing.ports, signal);
    expect(missing.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'ArtifactFailed' })]);
  });

  it('reports a missing path', async () => {
    const h = harness({});
    await reconcileKustomization(ks({ path: './missing' }), h.ports, signal);
    expect(ready(h.statuses.at(-1))).toMatchObject({
      status: 'False',
      reason: 'ArtifactFailed',
      message: expect.stringContaining("kustomization path not found: './missing'"),
    });
  });

  it('waits for dependencies', async () => {
    const h = harness({ deps: [] });
    expect(await reconcileKustomization(ks({ dependsOn: [{ name: 'infra' }] }), h.ports, signal)).toMatchObject({
      requeueAfterMs: 5000,
      failure: expect.stringContaining('Dependencies do not meet ready condition'),
    });
    expect(ready(h.statuses.at(-1))).toMatchObject({
      reason: 'DependencyNotReady',
      message: expect.stringContaining("dependency 'flux-system/infra' not found"),
    });
    expect(h.applied).toEqual([]);
  });

  it('fails a health check with HealthCheckFailed and Healthy=False, after applying', async () => {
    const h = harness({ healthy: false });
    await reconcileKustomization(ks({ wait: true }), h.ports, signal);
    const final = h.statuses.at(-1)!;
    expect(ready(final)).toMatchObject({
      status: 'False',
      reason: 'HealthCheckFailed',
      message: expect.stringContaining('0 of 2 replicas available'),
    });
    expect(final.conditions!.find((c) => c.type === 'Healthy')).toMatchObject({
      status: 'False',
      reason: 'HealthCheckFailed',
    });
    expect(h.applied).toHaveLength(1);
  });

  it('reports changes at an unchanged revision as drift corrected', async () => {
    const previous: KustomizationStatus = {
      lastAppliedRevision: REV,
      inventory: { entries: [{ id: 'default_a__ConfigMap', v: 'v1' }] },
    };
    const h = harness({
      apply: (objs) => Promise.resolve([changeEntry(objs[0]!, 'configured'), changeEntry(objs[1]!, 'unchanged')]),
    });
    await reconcileKustomization(ks({}, previous), h.ports, signal);
    const drift = h.events.find((e) => e.drifted);
    expect(drift?.drifted?.map((d) => d.subject)).toEqual(['ConfigMap/default/a']);
    expect(drift?.message).toContain('drift corrected');
  });

  it('does nothing while suspended', async () => {
    const h = harness({});
    expect(await reconcileKustomization(ks({ suspend: true }), h.ports, signal)).toEqual({});
    expect(h.statuses).toEqual([]);
    expect(h.applied).toEqual([]);
  });

  it('on deletion prunes the inventory when prune is on, then releases the finalizer', async () => {
    const status: KustomizationStatus = { inventory: { entries: [{ id: 'default_a__ConfigMap', v: 'v1' }] } };
    const h = harness({});
    await reconcileKustomization(ks({}, status, { deletionTimestamp: '2026-11-26T12:00:00Z' }), h.ports, signal);
    expect(h.pruned).toHaveLength(1);
    expect(h.finalizers).toEqual([false]);
    const h2 = harness({});
    await reconcileKustomization(
      ks({ prune: false }, status, { deletionTimestamp: '2026-11-26T12:00:00Z' }),
      h2.ports,
      signal,
    );
    expect(h2.pruned).toEqual([]);
    expect(h2.finalizers).toEqual([false]);
  });

  it('adds the finalizer before the first apply', async () => {
    const h = harness({});
    await reconcileKustomization(ks({}, undefined, { finalizers: [] }), h.ports, signal);
    expect(h.finalizers).toEqual([true]);
  });
});

describe('healthCheckRefs', () => {
  it('checks everything applied with wait, except skipped objects and the Kustomization itself', () => {
    const self = changeEntry(
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace: 'flux-system' },
      },
      'unchanged',
    );
    const refs = healthCheckRefs(ks({ wait: true }), [
      changeEntry(cm('a'), 'created'),
      changeEntry(cm('b'), 'skipped'),
      self,
    ]);
    expect(refs.map((r) => r.name)).toEqual(['a']);
  });
  it('uses healthChecks otherwise, with the namespace defaulted', () => {
    const refs = healthCheckRefs(
      ks({ healthChecks: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }] }),
      [],
    );
    expect(refs).toEqual([
      { group: 'apps', kind: 'Deployment', namespace: 'flux-system', name: 'web', apiVersion: 'apps/v1' },
    ]);
  });
});

describe('Kustomization status.history', () => {
  it('records the build as kustomize-controller does: digest, outcome, revision; the same build again is counted', async () => {
    const first = harness({});
    await reconcileKustomization(ks(), first.ports, signal);
    const history = first.statuses.at(-1)!.history!;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      digest: 'sha256:a+b',
      firstReconciled: '2026-11-26T12:00:00Z',
      lastReconciled: '2026-11-26T12:00:00Z',
      lastReconciledStatus: 'ReconciliationSucceeded',
      totalReconciliations: 1,
      metadata: { revision: REV },
    });
    expect(history[0]!.lastReconciledDuration).toMatch(/^[\d.]+(ns|µs|ms|s)$/);

    const again = harness({});
    await reconcileKustomization(ks({}, first.statuses.at(-1)), again.ports, signal);
    expect(again.statuses.at(-1)!.history!.map((s) => [s.digest, s.totalReconciliations])).toEqual([['sha256:a+b', 2]]);

    const changed = harness({ build: () => Promise.resolve([cm('a')]) });
    await reconcileKustomization(ks({}, again.statuses.at(-1)), changed.ports, signal);
    expect(changed.statuses.at(-1)!.history!.map((s) => s.digest)).toEqual(['sha256:a', 'sha256:a+b']);
  });

  it('records a failed health check of a build, but nothing when the build itself failed', async () => {
    const unhealthy = harness({ healthy: false });
    await reconcileKustomization(ks({ wait: true }), unhealthy.ports, signal);
    expect(unhealthy.statuses.at(-1)!.history!.map((s) => s.lastReconciledStatus)).toEqual(['HealthCheckFailed']);

    const broken = harness({ build: () => Promise.reject(new Error('kustomize build failed')) });
    await reconcileKustomization(ks(), broken.ports, signal);
    expect(broken.statuses.at(-1)!.history).toBeUndefined();
  });
});
