import { describe, expect, it } from 'vitest';

import type { ContextInfo } from '../../../main/engine/cluster-registry.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import {
  clusterSummary,
  eventSummary,
  fluxSummary,
  redactedForDisplay,
  workloadSummary,
} from '../../../main/workbench/summaries.ts';

const kustomization: KubeObject = {
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: {
    name: 'apps',
    namespace: 'flux-system',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2026-01-01T00:00:00Z',
  },
  spec: {
    interval: '10m',
    path: './apps',
    suspend: false,
    sourceRef: { kind: 'GitRepository', name: 'fleet' },
    dependsOn: [{ name: 'infra' }, { name: 'crds', namespace: 'other' }],
  },
  status: {
    observedGeneration: 3,
    lastAppliedRevision: 'main@sha1:0a1b',
    lastAttemptedRevision: 'main@sha1:0a1b',
    lastHandledReconcileAt: '2026-01-02T00:00:00Z',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'ReconciliationSucceeded',
        message: 'Applied revision: main@sha1:0a1b',
        lastTransitionTime: 't',
      },
    ],
    inventory: {
      entries: [
        { id: 'apps_web_apps_Deployment', v: 'v1' },
        { id: '_apps__Namespace', v: 'v1' },
        { id: 'not-an-id', v: 'v1' },
      ],
    },
  },
};

describe('engine summaries', () => {
  it('summarises a Kustomization: source, dependencies in its namespace, parsed inventory, revisions', () => {
    expect(fluxSummary('prod', kustomization)).toEqual({
      uid: 'u-1',
      cluster: 'prod',
      group: 'kustomize.toolkit.fluxcd.io',
      version: 'v1',
      kind: 'Kustomization',
      namespace: 'flux-system',
      name: 'apps',
      resourceVersion: '42',
      generation: 3,
      observedGeneration: 3,
      suspended: false,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ReconciliationSucceeded',
          message: 'Applied revision: main@sha1:0a1b',
          lastTransitionTime: 't',
        },
      ],
      sourceRef: { group: 'source.toolkit.fluxcd.io', kind: 'GitRepository', namespace: 'flux-system', name: 'fleet' },
      dependsOn: [
        { namespace: 'flux-system', name: 'infra' },
        { namespace: 'other', name: 'crds' },
      ],
      inventory: [
        { namespace: 'apps', name: 'web', group: 'apps', kind: 'Deployment' },
        { namespace: '', name: 'apps', group: '', kind: 'Namespace' },
      ],
      revision: { lastApplied: 'main@sha1:0a1b', lastAttempted: 'main@sha1:0a1b' },
      interval: '10m',
      path: './apps',
      lastHandledReconcileAt: '2026-01-02T00:00:00Z',
      createdAt: '2026-01-01T00:00:00Z',
    });
  });

  it('reads a source’s artifact revision and URL, and a HelmRelease’s chart source', () => {
    const repo = fluxSummary('c', {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'fleet', namespace: 'flux-system', uid: 'g' },
      spec: { url: 'https://git.example/fleet.git', suspend: true },
      status: { artifact: { revision: 'main@sha1:ff' } },
    });
    expect(repo).toMatchObject({
      suspended: true,
      url: 'https://git.example/fleet.git',
      revision: { artifact: 'main@sha1:ff' },
    });
    expect(repo?.inventory).toBeUndefined();
    const bucket = (spec: Record<string, unknown>) =>
      fluxSummary('c', {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'Bucket',
        metadata: { name: 'm', namespace: 'flux-system', uid: 'b' },
        spec: { bucketName: 'manifests', interval: '5m', ...spec },
      })?.url;
    expect(bucket({ endpoint: 'minio.local:9000', insecure: true, prefix: '/apps' })).toBe(
      'http://minio.local:9000/manifests/apps',
    );
    expect(bucket({ endpoint: 's3.amazonaws.com' })).toBe('https://s3.amazonaws.com/manifests');
    expect(bucket({})).toBeUndefined();
    const hr = fluxSummary('c', {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'podinfo', namespace: 'apps', uid: 'h' },
      spec: {
        chart: {
          spec: { chart: 'podinfo', sourceRef: { kind: 'HelmRepository', name: 'charts', namespace: 'flux-system' } },
        },
      },
    });
    // The chart template's HelmChart (named as helm-controller names it, in the source's namespace), so the graph
    // runs HelmRepository → HelmChart → HelmRelease.
    expect(hr?.sourceRef).toEqual({
      group: 'source.toolkit.fluxcd.io',
      kind: 'HelmChart',
      namespace: 'flux-system',
      name: 'apps-podinfo',
    });
    const byRef = fluxSummary('c', {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'podinfo', namespace: 'apps', uid: 'h2' },
      spec: { chartRef: { kind: 'OCIRepository', name: 'podinfo' } },
    });
    expect(byRef?.sourceRef).toEqual({
      group: 'source.toolkit.fluxcd.io',
      kind: 'OCIRepository',
      namespace: 'apps',
      name: 'podinfo',
    });
  });

  it('tells which HelmRelease made a workload, from helm-controller’s origin labels (both of them)', () => {
    const deploy = (labels: Record<string, string>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'apps', uid: 'd', labels },
      spec: { replicas: 1 },
    });
    expect(
      workloadSummary(
        'c',
        deploy({ 'helm.toolkit.fluxcd.io/name': 'podinfo', 'helm.toolkit.fluxcd.io/namespace': 'flux-system' }),
      )?.helmRelease,
    ).toEqual({ namespace: 'flux-system', name: 'podinfo' });
    expect(workloadSummary('c', deploy({ 'helm.toolkit.fluxcd.io/name': 'podinfo' }))?.helmRelease).toBeUndefined();
    expect(workloadSummary('c', deploy({ app: 'web' }))?.helmRelease).toBeUndefined();
  });

  it('gives a workload its kstatus health and replicas', () => {
    const deploy = (ready: number): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'apps', uid: 'd', resourceVersion: '7', generation: 1 },
      spec: { replicas: 2 },
      status: {
        observedGeneration: 1,
        replicas: 2,
        updatedReplicas: 2,
        readyReplicas: ready,
        availableReplicas: ready,
        conditions: [
          { type: 'Available', status: ready === 2 ? 'True' : 'False' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      },
    });
    expect(workloadSummary('c', deploy(2))).toMatchObject({ health: 'Current', replicas: { desired: 2, ready: 2 } });
    expect(workloadSummary('c', deploy(1))).toMatchObject({ health: 'InProgress', replicas: { desired: 2, ready: 1 } });
  });

  it('never lets a Secret’s values out, including kubectl’s last-applied copy', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'git-auth',
        namespace: 'flux-system',
        managedFields: [{ manager: 'kubectl' }],
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}',
          team: 'a',
        },
      },
      data: { password: 'aHVudGVyMg==', username: 'Z2l0' },
      stringData: { token: 'ghp_secret' },
    };
    const shown = JSON.stringify(redactedForDisplay(secret));
    for (const secretValue of ['aHVudGVyMg==', 'Z2l0', 'ghp_secret']) expect(shown).not.toContain(secretValue);
    expect(shown).toContain('password');
    expect(shown).toContain('"team":"a"');
    expect(shown).not.toContain('managedFields');
  });

  it('keeps a ConfigMap’s data (not secret) but drops managedFields', () => {
    const cm = redactedForDisplay({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', managedFields: [{}] },
      data: { a: '1' },
    });
    expect(cm).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } });
  });

  it('maps a context and its session onto the sidebar’s states, with what to do', () => {
    const ctx = (over: Partial<ContextInfo>): ContextInfo => ({
      name: 'prod',
      cluster: 'prod',
      user: 'admin',
      namespace: 'default',
      server: 'https://10.0.0.1',
      file: '/home/u/.kube/config',
      authMethod: 'exec',
      ...over,
    });
    expect(clusterSummary(ctx({}), 'prod')).toMatchObject({
      state: 'disconnected',
      current: true,
      auth: { method: 'exec', status: 'unknown' },
    });
    expect(clusterSummary(ctx({}), 'other', 'dial tcp: connection refused')).toMatchObject({
      state: 'error',
      error: 'dial tcp: connection refused',
    });
    const leaky = clusterSummary(
      ctx({ server: 'https://admin:pw-123@10.0.0.1:6443/?token=tok-456' }),
      'prod',
      'GET https://admin:pw-123@10.0.0.1:6443/version?token=tok-456: connection refused',
    );
    expect(leaky.server).toBe('https://10.0.0.1:6443/');
    expect(JSON.stringify(leaky)).not.toMatch(/pw-123|tok-456/);
    const connected = clusterSummary(
      ctx({ session: { context: 'prod', state: 'connected', role: 'observing', since: 't' } }),
      undefined,
    );
    expect(connected).toMatchObject({ state: 'connected', mode: 'observing' });
    const noCrds = clusterSummary(
      ctx({ session: { context: 'prod', state: 'connected', role: 'no-flux-crds', since: 't' } }),
      undefined,
    );
    expect(noCrds.error).toMatch(/fluxdeck install/);
    const failing = clusterSummary(
      ctx({
        authHealth: {
          context: 'prod',
          method: 'exec',
          state: 'failing',
          lastError: {
            at: 't',
            message: 'exec: aws not found',
            hint: 'install the AWS CLI',
            reason: 'ExecPluginNotFound',
          },
        },
      }),
      undefined,
    );
    expect(failing.auth).toEqual({ method: 'exec', status: 'missing-plugin', hint: 'install the AWS CLI' });
  });

  it('says which engine reconciles, and flags Flux and Fluxdeck fighting as an error', () => {
    const session = (over: Partial<NonNullable<ContextInfo['session']>>): ContextInfo => ({
      name: 'prod',
      cluster: 'prod',
      user: 'admin',
      namespace: 'default',
      server: 'https://10.0.0.1',
      file: '/k',
      authMethod: 'token',
      session: { context: 'prod', state: 'connected', since: 't', ...over },
    });
    expect(
      clusterSummary(session({ role: 'observing', reconciler: 'flux', reconcilerVersion: 'v1.9.5' }), undefined),
    ).toMatchObject({ mode: 'observing', engine: { kind: 'flux', version: 'v1.9.5' } });
    expect(clusterSummary(session({ role: 'reconciling', reconciler: 'desktop' }), undefined).engine).toEqual({
      kind: 'desktop',
    });
    const fighting = clusterSummary(
      session({
        role: 'observing',
        reconciler: 'both',
        message: 'Flux and another Fluxdeck instance (b) both reconcile',
      }),
      undefined,
    );
    expect(fighting.engine).toEqual({ kind: 'both' });
    expect(fighting.error).toMatch(/both reconcile/);
    expect(fighting.observingWhy).toBeUndefined();
    // A second context to a cluster another context of this process reconciles says so in the sidebar.
    const sibling = clusterSummary(
      session({
        role: 'standby',
        reconciler: 'desktop',
        message: 'context prod-admin of this Fluxdeck reconciles this cluster (same API server, https://10.0.0.1)',
      }),
      undefined,
    );
    expect(sibling).toMatchObject({ mode: 'observing', engine: { kind: 'desktop' } });
    expect(sibling.observingWhy).toBe(
      'context prod-admin of this Fluxdeck reconciles this cluster (same API server, https://10.0.0.1)',
    );
    expect(
      clusterSummary(session({ role: 'reconciling', message: 'leading' }), undefined).observingWhy,
    ).toBeUndefined();
    expect(clusterSummary(session({ reconciler: 'something-else' }), undefined).engine).toBeUndefined();
  });

  it('reads both event API shapes into the timeline', () => {
    expect(
      eventSummary({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e' },
        type: 'Warning',
        reason: 'HealthCheckFailed',
        message: 'timeout',
        count: 3,
        firstTimestamp: 'a',
        lastTimestamp: 'b',
        source: { component: 'kustomize-controller' },
      }),
    ).toEqual({
      type: 'Warning',
      reason: 'HealthCheckFailed',
      message: 'timeout',
      count: 3,
      firstSeen: 'a',
      lastSeen: 'b',
      source: 'kustomize-controller',
    });
    expect(
      eventSummary({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e' },
        type: 'Normal',
        reason: 'R',
        message: 'm',
        eventTime: 'c',
        reportingComponent: 'fluxdeck',
      }),
    ).toMatchObject({ count: 1, firstSeen: 'c', lastSeen: 'c', source: 'fluxdeck' });
  });
});

describe('image automation in the graph', () => {
  it('gives an ImagePolicy its ImageRepository as source, and an ImageUpdateAutomation its GitRepository', () => {
    const meta = (name: string) => ({ name, namespace: 'apps', uid: `u-${name}`, resourceVersion: '1', generation: 1 });
    const policy = fluxSummary('c', {
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImagePolicy',
      metadata: meta('podinfo'),
      spec: { imageRepositoryRef: { name: 'podinfo' }, policy: { semver: { range: '*' } } },
    });
    expect(policy?.sourceRef).toEqual({
      group: 'image.toolkit.fluxcd.io',
      kind: 'ImageRepository',
      namespace: 'apps',
      name: 'podinfo',
    });
    const automation = fluxSummary('c', {
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageUpdateAutomation',
      metadata: meta('auto'),
      spec: { sourceRef: { kind: 'GitRepository', name: 'fleet', namespace: 'flux-system' }, interval: '5m' },
    });
    expect(automation?.sourceRef).toEqual({
      group: 'source.toolkit.fluxcd.io',
      kind: 'GitRepository',
      namespace: 'flux-system',
      name: 'fleet',
    });
    expect(automation?.policySelector).toBeUndefined();
  });

  it('carries an automation’s policySelector and an ImagePolicy’s labels, for the graph’s policy links', () => {
    const meta = (name: string, labels?: Record<string, string>) => ({
      name,
      namespace: 'apps',
      uid: `u-${name}`,
      resourceVersion: '1',
      generation: 1,
      ...(labels && { labels }),
    });
    const automation = fluxSummary('c', {
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageUpdateAutomation',
      metadata: meta('auto'),
      spec: {
        sourceRef: { kind: 'GitRepository', name: 'fleet' },
        interval: '5m',
        policySelector: {
          matchLabels: { team: 'web', bad: 3 },
          matchExpressions: [{ key: 'channel', operator: 'In', values: ['stable', 7] }, 'junk'],
        },
      },
    });
    expect(automation?.policySelector).toEqual({
      matchLabels: { team: 'web' },
      matchExpressions: [
        { key: 'channel', operator: 'In', values: ['stable'] },
        { key: '', operator: '' },
      ],
    });
    const policy = fluxSummary('c', {
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImagePolicy',
      metadata: meta('web', { team: 'web' }),
      spec: { imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '*' } } },
    });
    expect(policy?.labels).toEqual({ team: 'web' });
    expect(automation?.labels).toBeUndefined();
  });
});
