// The HelmRelease reconciler over fake ports: a chart from a HelmChart artifact (written here by hand; the HelmChart
// controller fills it in the product), the HelmChart made from spec.chart, and Helm's storage as an in-memory list.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { chartSourceRef, helmChartFromTemplate } from '../../../../main/controllers/helmrelease/chart-source.ts';
import type { HelmReleasePorts, ReleaseActions } from '../../../../main/controllers/helmrelease/ports.ts';
import { reconcileHelmRelease } from '../../../../main/controllers/helmrelease/reconcile.ts';
import type { HelmRelease, HelmReleaseStatus } from '../../../../main/flux/helm.ts';
import type { ReleaseInfo } from '../../../../main/helm/index.ts';

function fakeHelm(fail: { install?: string } = {}): { actions: ReleaseActions; releases: ReleaseInfo[] } {
  const releases: ReleaseInfo[] = [];
  const make = (
    version: number,
    values: Record<string, unknown> | undefined,
    status: ReleaseInfo['status'],
  ): ReleaseInfo => ({
    name: 'web',
    namespace: 'apps',
    version,
    status,
    chart: { name: 'app', version: '1.0.0', appVersion: '2.0' },
    firstDeployed: '2026-01-01T00:00:00Z',
    lastDeployed: '2026-01-01T00:00:00Z',
    hooks: [],
    config: values ?? {},
  });
  const actions: ReleaseActions = {
    kube: { kubeconfig: '' },
    latest: () => Promise.resolve(releases.at(-1)),
    install: (req) => {
      if (fail.install) return Promise.reject(new Error(fail.install));
      const rel = make(1, req.values, 'deployed');
      releases.push(rel);
      return Promise.resolve(rel);
    },
    upgrade: (req) => {
      // Helm's ReuseValues: the last release's values under the new ones.
      const values = req.reuseValues ? { ...releases.at(-1)?.config, ...req.values } : req.values;
      for (const r of releases) r.status = 'superseded';
      const rel = make(releases.length + 1, values, 'deployed');
      releases.push(rel);
      return Promise.resolve(rel);
    },
    test: () => Promise.reject(new Error('no tests here')),
    rollback: () => Promise.reject(new Error('no rollback here')),
    uninstall: () => {
      const rel = releases.pop();
      releases.length = 0;
      return Promise.resolve(rel);
    },
    unlock: () => {
      const rel = releases.at(-1);
      if (!rel) return Promise.reject(new Error('release: not found'));
      const previous = rel.status;
      if (!previous.startsWith('pending-')) return Promise.resolve({ unlocked: false, release: rel });
      rel.status = 'failed';
      rel.description = `Release unlocked from stale '${previous}' state`;
      return Promise.resolve({ unlocked: true, previous, release: rel });
    },
    drift: () => Promise.resolve({ drifted: [], objects: [] }),
    correctDrift: () => Promise.resolve([]),
  };
  return { actions, releases };
}

function ports(
  hr: HelmRelease,
  actions: ReleaseActions,
  made: string[],
): HelmReleasePorts & { status(): HelmReleaseStatus } {
  let status: HelmReleaseStatus = {};
  return {
    status: () => status,
    chartSource: (o) => {
      const ref = chartSourceRef(o);
      return {
        found: true,
        id: `HelmChart/${ref?.namespace}/${ref?.name}`,
        ready: true,
        artifact: {
          path: 'helmchart/flux-system/apps-web/app-1.0.0.tgz',
          url: 'http://localhost/app-1.0.0.tgz',
          revision: '1.0.0',
          digest: 'sha256:abc',
          lastUpdateTime: '2026-01-01T00:00:00Z',
        },
      };
    },
    ensureHelmChart: (o) => {
      const chart = helmChartFromTemplate(o, o.spec.chart!);
      made.push(`${chart.metadata.namespace}/${chart.metadata.name} ${chart.spec.chart}@${chart.spec.version}`);
      return Promise.resolve(`${chart.metadata.namespace}/${chart.metadata.name}`);
    },
    deleteHelmChart: (nsName) => {
      made.push(`deleted ${nsName}`);
      return Promise.resolve();
    },
    dependency: () => undefined,
    openChart: () =>
      Promise.resolve({ path: '/charts/app-1.0.0.tgz', name: 'app', version: '1.0.0', appVersion: '2.0' }),
    valuesSources: () => Promise.resolve(() => undefined),
    parseYaml: parse,
    actions: () => Promise.resolve(actions),
    writeStatus: (_o, s) => {
      status = structuredClone(s);
      hr.status = status;
      return Promise.resolve();
    },
    setFinalizer: () => Promise.resolve(),
    event: () => undefined,
    requeueDependencyMs: 1000,
    retryMs: 1000,
    now: () => new Date('2026-01-02T00:00:00Z'),
  };
}

const hr = (spec: Partial<HelmRelease['spec']>): HelmRelease => ({
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name: 'web', namespace: 'apps', generation: 1, finalizers: ['finalizers.fluxcd.io'] },
  spec: { interval: '5m', ...spec },
});

describe('reconcileHelmRelease', () => {
  it('makes the HelmChart from spec.chart, installs from its artifact and records status as helm-controller', async () => {
    const obj = hr({
      chart: {
        spec: {
          chart: 'app',
          version: '1.x',
          sourceRef: { kind: 'HelmRepository', name: 'repo', namespace: 'flux-system' },
        },
      },
      values: { a: 1 },
    });
    const made: string[] = [];
    const { actions, releases } = fakeHelm();
    const p = ports(obj, actions, made);
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(made).toEqual(['flux-system/apps-web app@1.x']);
    const status = p.status();
    expect(status).toMatchObject({
      helmChart: 'flux-system/apps-web',
      lastAttemptedRevision: '1.0.0',
      lastAttemptedReleaseAction: 'install',
      observedGeneration: 1,
      storageNamespace: 'apps',
    });
    expect(status.history?.[0]).toMatchObject({ version: 1, status: 'deployed', chartName: 'app', appVersion: '2.0' });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'InstallSucceeded',
      message: 'Helm install succeeded for release apps/web.v1 with chart app@1.0.0',
    });
    // The same inputs again: no new revision.
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases).toHaveLength(1);
    // New values: an upgrade.
    obj.spec.values = { a: 2 };
    obj.metadata.generation = 2;
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases.map((r) => [r.version, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(p.status().conditions?.find((c) => c.type === 'Ready')?.reason).toBe('UpgradeSucceeded');
    // Switching to chartRef deletes the HelmChart made from the template.
    delete obj.spec.chart;
    obj.spec.chartRef = { kind: 'HelmChart', name: 'shared' };
    obj.metadata.generation = 3;
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(made).toContain('deleted flux-system/apps-web');
    expect(p.status().helmChart).toBeUndefined();
  });

  it('records a failed install with Flux reasons and stalls when retries are used up', async () => {
    const obj = hr({ chartRef: { kind: 'HelmChart', name: 'app' } });
    const { actions } = fakeHelm({ install: 'template: app/templates/cm.yaml:3: boom' });
    const p = ports(obj, actions, []);
    const outcome = await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(outcome.failure).toBe('Failed to install after 1 attempt(s)');
    const status = p.status();
    expect(status).toMatchObject({ installFailures: 1, failures: 1 });
    expect(status.conditions?.find((c) => c.type === 'Released')).toMatchObject({
      status: 'False',
      reason: 'InstallFailed',
      message: 'Helm install failed for release apps/web with chart app@1.0.0: template: app/templates/cm.yaml:3: boom',
    });
    expect(status.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ reason: 'RetriesExceeded' });
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InstallFailed',
    });
  });

  it('unlocks a release left pending by a dead process (marks it failed) and upgrades it in the same reconcile', async () => {
    const obj = hr({ chartRef: { kind: 'HelmChart', name: 'app' }, values: { a: 1 } });
    const { actions, releases } = fakeHelm();
    const events: string[] = [];
    const p = {
      ...ports(obj, actions, []),
      event: (_o: HelmRelease, e: { reason: string; message: string }) => {
        events.push(`${e.reason}: ${e.message}`);
      },
    };
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    // An upgrade that never finished: Helm's storage holds revision 2 as pending-upgrade.
    releases.push({ ...releases[0]!, version: 2, status: 'pending-upgrade' });
    obj.spec.values = { a: 2 };
    obj.metadata.generation = 2;
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases.map((r) => [r.version, r.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
    expect(releases[1]?.description).toBe("Release unlocked from stale 'pending-upgrade' state");
    expect(events).toContain(
      'PendingRelease: Unlocked Helm release apps/web.v2 with chart app@1.0.0 in pending-upgrade state',
    );
    expect(p.status().conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'UpgradeSucceeded',
    });
  });

  it('spec.commonMetadata alone upgrades the release once, recording observedCommonMetadataDigest', async () => {
    const obj = hr({ chartRef: { kind: 'HelmChart', name: 'app' } });
    const { actions, releases } = fakeHelm();
    const p = ports(obj, actions, []);
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(p.status().observedCommonMetadataDigest).toBeUndefined();
    obj.spec.commonMetadata = { labels: { team: 'web' } };
    obj.metadata.generation = 2;
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases).toHaveLength(2);
    expect(p.status().observedCommonMetadataDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases).toHaveLength(2);
  });

  it('upgrade.preserveValues keeps the values of the last release under the new ones, and does not upgrade again', async () => {
    const obj = hr({ chartRef: { kind: 'HelmChart', name: 'app' }, values: { a: 1, b: 1 } });
    const { actions, releases } = fakeHelm();
    const p = ports(obj, actions, []);
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    obj.spec.values = { a: 2 };
    obj.spec.upgrade = { preserveValues: true };
    obj.metadata.generation = 2;
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases.map((r) => r.config)).toEqual([
      { a: 1, b: 1 },
      { a: 2, b: 1 },
    ]);
    // The release holds the merge, which is what the HelmRelease asks for: in sync, no third revision.
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases).toHaveLength(2);
    // Without preserveValues the values are reset to the HelmRelease's own.
    obj.spec.upgrade = {};
    obj.metadata.generation = 3;
    await reconcileHelmRelease(obj, p, new AbortController().signal);
    expect(releases.at(-1)?.config).toEqual({ a: 2 });
  });
});
