import { describe, expect, it } from 'vitest';

import type { ChangeSetEntry } from '../../../main/kube/change-set.ts';
import { normalizeMessage } from '../../../main/notify/alert-grouping.ts';
import {
  alertFromReconcileError,
  alertsFromFluxEvent,
  authAlert,
  DEFAULT_RULE_SETTINGS,
  type FluxEvent,
  staleSourceAlerts,
  suspendedAlerts,
  suspendedSince,
} from '../../../main/notify/alert-rules.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const HOUR = 3600_000;
const now = Date.parse('2025-03-10T12:00:00Z');

const event = (over: Partial<FluxEvent> = {}): FluxEvent => ({
  cluster: 'prod',
  object: {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'apps',
  },
  type: 'Warning',
  reason: 'BuildFailed',
  message: 'kustomize build failed: apps/deploy.yaml: yaml: line 5: did not find expected key',
  revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
  controller: 'kustomize-controller',
  timestamp: '2025-03-10T11:59:00Z',
  ...over,
});

const drifted = (
  changes?: ChangeSetEntry['changes'],
  action: ChangeSetEntry['action'] = 'configured',
): ChangeSetEntry => ({
  ref: { group: 'apps', kind: 'Deployment', namespace: 'apps', name: 'web' },
  id: 'apps_web_apps_Deployment',
  version: 'v1',
  subject: 'Deployment/apps/web',
  action,
  ...(changes ? { changes } : {}),
});

describe('alerts from Flux events', () => {
  it('turns a Warning into a reconcile-failed error with the object, revision and time', () => {
    expect(alertsFromFluxEvent(event())).toEqual([
      {
        rule: 'reconcile-failed',
        severity: 'error',
        cluster: 'prod',
        object: {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          namespace: 'flux-system',
          name: 'apps',
        },
        reason: 'BuildFailed',
        message: event().message,
        revision: event().revision,
        source: 'kustomize-controller',
        at: Date.parse('2025-03-10T11:59:00Z'),
      },
    ]);
  });

  it('makes waiting for a dependency a warning, and ignores Normal events', () => {
    expect(alertsFromFluxEvent(event({ reason: 'DependencyNotReady' }))[0]).toMatchObject({
      rule: 'warning',
      severity: 'warning',
    });
    expect(alertsFromFluxEvent(event({ type: 'Normal', reason: 'ReconciliationSucceeded' }))).toEqual([]);
  });

  it('makes an ImagePolicy waiting for its repository’s first scan info, and a missing repository a warning', () => {
    const policy = {
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImagePolicy',
      namespace: 'flux-system',
      name: 'podinfo',
    };
    const waiting = (message: string) =>
      alertsFromFluxEvent(
        event({ object: policy, reason: 'DependencyNotReady', message, controller: 'image-reflector-controller' }),
      );
    expect(waiting('no tags in database')).toMatchObject([
      { rule: 'warning', severity: 'info', reason: 'DependencyNotReady', message: 'no tags in database' },
    ]);
    expect(
      waiting(
        'failed to get the referred ImageRepository: referenced ImageRepository does not exist: imagerepositories.image.toolkit.fluxcd.io "nope" not found',
      ),
    ).toMatchObject([{ severity: 'warning' }]);
    // Only the ImagePolicy's first-scan wait: the same words from another kind keep their severity.
    expect(
      alertsFromFluxEvent(event({ reason: 'DependencyNotReady', message: 'no tags in database' }))[0]?.severity,
    ).toBe('warning');
  });

  it('keeps a new image selected by an ImagePolicy and a commit pushed by an automation as info', () => {
    const image = { apiVersion: 'image.toolkit.fluxcd.io/v1', namespace: 'flux-system', name: 'podinfo' };
    const selected = event({
      object: { ...image, kind: 'ImagePolicy' },
      type: 'Normal',
      reason: 'Succeeded',
      message:
        "new image v2.3.1 selected for podinfo: Latest image tag for 'reg/podinfo' updated from v2.3.0 to v2.3.1",
      revision: 'v2.3.1',
      controller: 'image-reflector-controller',
    });
    expect(alertsFromFluxEvent(selected)).toEqual([
      expect.objectContaining({
        rule: 'image-update',
        severity: 'info',
        object: { ...image, kind: 'ImagePolicy' },
        reason: 'Succeeded',
        message: 'new image v2.3.1 selected for podinfo',
        revision: 'v2.3.1',
      }),
    ]);
    const pushed = event({
      object: { ...image, kind: 'ImageUpdateAutomation' },
      type: 'Normal',
      reason: 'Succeeded',
      message: "pushed commit 'abc1234' to branch 'main' updating 3 files",
      controller: 'image-automation-controller',
    });
    expect(alertsFromFluxEvent(pushed)).toEqual([
      expect.objectContaining({ rule: 'image-update', severity: 'info', message: pushed.message }),
    ]);
    // Other Normal events of these kinds (and Succeeded events of other kinds) stay out of the inbox.
    expect(alertsFromFluxEvent({ ...pushed, reason: 'ReconciliationSucceeded' })).toEqual([]);
    expect(alertsFromFluxEvent({ ...selected, object: { ...image, kind: 'ImageRepository' } })).toEqual([]);
    expect(alertsFromFluxEvent(event({ type: 'Normal', reason: 'Succeeded' }))).toEqual([]);
    // A failing policy is still an error, not news.
    expect(alertsFromFluxEvent({ ...selected, type: 'Warning', reason: 'InvalidPolicy' })[0]).toMatchObject({
      rule: 'reconcile-failed',
      severity: 'error',
    });
  });

  it('explains a corrected drift: the fields and the manager that changed them', () => {
    const changes = [
      {
        path: 'spec.replicas',
        op: 'changed' as const,
        live: 5,
        desired: 3,
        manager: 'kubectl-edit',
        time: '2025-03-10T11:58:00Z',
      },
    ];
    const [alert] = alertsFromFluxEvent(
      event({ type: 'Normal', reason: 'Progressing', message: 'drift corrected', drifted: [drifted(changes)] }),
    );
    expect(alert).toMatchObject({
      rule: 'drift-corrected',
      severity: 'warning',
      reason: 'DriftCorrected',
      message:
        'Drift corrected for revision main@sha1:0123456789abcdef0123456789abcdef01234567: Deployment/apps/web: spec.replicas (set by kubectl-edit)',
      drift: [{ subject: 'Deployment/apps/web', action: 'configured', changes }],
    });
  });

  it('summarizes many drifted fields and recreated objects', () => {
    const many = ['a', 'b', 'c', 'd', 'e'].map((f) => ({ path: `data.${f}`, op: 'changed' as const }));
    const [alert] = alertsFromFluxEvent(
      event({
        type: 'Normal',
        revision: undefined,
        drifted: [drifted(many), { ...drifted(), subject: 'ConfigMap/apps/gone', action: 'created' }],
      }),
    );
    expect(alert?.message).toBe(
      'Drift corrected: Deployment/apps/web: data.a, data.b, data.c and 2 more; ConfigMap/apps/gone was missing and was recreated',
    );
  });

  it('groups repeated drift by objects, fields and managers, not by the values', () => {
    const a = alertsFromFluxEvent(
      event({
        type: 'Normal',
        drifted: [drifted([{ path: 'spec.replicas', op: 'changed', live: 5, manager: 'hpa' }])],
      }),
    );
    const b = alertsFromFluxEvent(
      event({
        type: 'Normal',
        drifted: [drifted([{ path: 'spec.replicas', op: 'changed', live: 7, manager: 'hpa' }])],
      }),
    );
    const c = alertsFromFluxEvent(
      event({
        type: 'Normal',
        drifted: [drifted([{ path: 'spec.replicas', op: 'changed', live: 7, manager: 'kubectl-edit' }])],
      }),
    );
    expect(a[0]?.groupBy).toBe(b[0]?.groupBy);
    expect(c[0]?.groupBy).not.toBe(a[0]?.groupBy);
  });

  it('reports reconcile errors no event reported, but not aborted reconciles', () => {
    expect(
      alertFromReconcileError({
        cluster: 'prod',
        kind: 'Kustomization',
        namespace: 'ns',
        name: 'a',
        error: 'status write failed: conflict',
      }),
    ).toMatchObject({
      rule: 'reconcile-failed',
      object: { kind: 'Kustomization', namespace: 'ns', name: 'a' },
      message: 'status write failed: conflict',
    });
    expect(
      alertFromReconcileError({
        cluster: 'prod',
        kind: 'K',
        namespace: 'n',
        name: 'a',
        error: 'This operation was aborted',
      }),
    ).toBeUndefined();
    expect(alertFromReconcileError({ cluster: 'prod', kind: 'K', namespace: 'n', name: 'a' })).toBeUndefined();
  });
});

describe('message normalization for grouping', () => {
  it('masks Go durations and timestamps but keeps revisions and names', () => {
    expect(normalizeMessage('health check failed after 1m0.25s: timeout at 2025-03-10T11:59:00Z for web-5m')).toBe(
      'health check failed after <duration>: timeout at <time> for web-5m',
    );
    expect(normalizeMessage('Reconciliation finished in 2.5s.')).toBe('Reconciliation finished in <duration>.');
    expect(normalizeMessage('retrying in 30s, revision main@sha1:abc123')).toBe(
      'retrying in <duration>, revision main@sha1:abc123',
    );
  });
});

const ks = (
  name: string,
  spec: Record<string, unknown>,
  status?: Record<string, unknown>,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name, namespace: 'flux-system', uid: `uid-${name}`, ...extra },
  spec,
  ...(status ? { status } : {}),
});

describe('suspended longer than the setting', () => {
  it('raises for objects suspended longer than the threshold, with the reason annotation', () => {
    const objects = [
      ks('old', { suspend: true }, undefined, { annotations: { 'suspend.toolkit.fluxcd.io/reason': 'maintenance' } }),
      ks('recent', { suspend: true }),
      ks('running', { suspend: false }),
      ks('unknown', { suspend: true }),
    ];
    const since = (o: KubeObject): number | undefined =>
      ({ old: now - 25 * HOUR, recent: now - HOUR, running: now - 100 * HOUR })[o.metadata.name ?? ''];
    const alerts = suspendedAlerts('prod', objects, since, { now, settings: DEFAULT_RULE_SETTINGS });
    expect(alerts).toEqual([
      expect.objectContaining({
        rule: 'suspended',
        severity: 'warning',
        object: {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          namespace: 'flux-system',
          name: 'old',
        },
        message:
          'Kustomization flux-system/old has been suspended since 2025-03-09T11:00:00Z (reason: maintenance); nothing is reconciled until it is resumed',
      }),
    ]);
    expect(
      suspendedAlerts('prod', objects, since, {
        now,
        settings: { ...DEFAULT_RULE_SETTINGS, suspendedForMs: HOUR / 2 },
      }),
    ).toHaveLength(2);
  });

  it('reads when spec.suspend was set from the manager that owns it', () => {
    const obj = ks('a', { suspend: true, interval: '1m' }, undefined, {
      managedFields: [
        {
          manager: 'flux',
          operation: 'Update',
          time: '2025-03-01T00:00:00Z',
          fieldsV1: { 'f:spec': { 'f:interval': {} } },
        },
        {
          manager: 'fluxdeck',
          operation: 'Update',
          time: '2025-03-05T08:00:00Z',
          fieldsV1: { 'f:spec': { 'f:suspend': {} } },
        },
      ],
    });
    expect(suspendedSince(obj)).toBe(Date.parse('2025-03-05T08:00:00Z'));
    expect(suspendedSince(ks('b', { suspend: true }))).toBeUndefined();
  });
});

describe('source not fetched for a while', () => {
  const repo = (
    name: string,
    ready: Record<string, unknown> | undefined,
    spec: Record<string, unknown> = {},
    created = '2025-03-01T00:00:00Z',
  ): KubeObject => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace: 'flux-system', creationTimestamp: created },
    spec,
    status: {
      ...(ready ? { conditions: [{ type: 'Ready', ...ready }] } : {}),
      artifact: { revision: 'main@sha1:abc', lastUpdateTime: '2025-03-01T00:00:00Z' },
    },
  });

  it('raises when Ready has not been True for longer than the threshold, quoting the last error', () => {
    const sources = [
      repo('failing', {
        status: 'False',
        lastTransitionTime: '2025-03-10T11:00:00Z',
        message: 'authentication required',
      }),
      repo('just-failed', { status: 'False', lastTransitionTime: '2025-03-10T11:50:00Z', message: 'x' }),
      repo('quiet-but-fine', { status: 'True', lastTransitionTime: '2025-03-01T00:00:00Z' }),
      repo('suspended', { status: 'False', lastTransitionTime: '2025-03-01T00:00:00Z' }, { suspend: true }),
      repo('never-ready', undefined, {}, '2025-03-10T10:00:00Z'),
    ];
    const alerts = staleSourceAlerts('prod', sources, { now, settings: DEFAULT_RULE_SETTINGS });
    expect(alerts.map((a) => a.object?.name)).toEqual(['failing', 'never-ready']);
    expect(alerts[0]?.message).toBe(
      'GitRepository flux-system/failing has not fetched successfully since 2025-03-10T11:00:00Z; the cluster still gets revision main@sha1:abc from 2025-03-01T00:00:00Z. Last error: authentication required',
    );
  });

  it('leaves OCI HelmRepositories alone: Flux never fetches them, so they have no Ready to wait for', () => {
    const oci = { ...repo('charts', undefined, { type: 'oci' }), kind: 'HelmRepository' };
    const http = { ...repo('index', undefined, { type: 'default' }), kind: 'HelmRepository' };
    const alerts = staleSourceAlerts('prod', [oci, http], { now, settings: DEFAULT_RULE_SETTINGS });
    expect(alerts.map((a) => a.object?.name)).toEqual(['index']);
  });
});

describe('cluster auth failing', () => {
  it('raises from a failing auth health with its hint, and clears when it is ok', () => {
    expect(
      authAlert('prod', {
        context: 'prod',
        method: 'token',
        state: 'failing',
        lastError: {
          at: '2025-03-10T11:00:00Z',
          message: 'Unauthorized',
          hint: 'the token has expired; log in again',
          reason: 'Unauthorized',
        },
      }),
    ).toEqual({
      rule: 'cluster-auth',
      severity: 'error',
      cluster: 'prod',
      reason: 'Unauthorized',
      message: 'Unauthorized (the token has expired; log in again)',
      source: 'fluxdeck',
    });
    expect(authAlert('prod', { context: 'prod', method: 'token', state: 'ok' })).toBeUndefined();
    expect(authAlert('prod', undefined)).toBeUndefined();
  });
});
