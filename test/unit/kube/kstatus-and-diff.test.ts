import { describe, expect, it } from 'vitest';

import { computeStatus } from '../../../main/kube/kstatus.ts';
import { diffObjects, hasDrifted, maskForDisplay, semanticEqual } from '../../../main/kube/object-diff.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const deployment = (spec: object, status: object, generation = 1): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'a', generation },
  spec: { progressDeadlineSeconds: 600, ...spec },
  status: { observedGeneration: 1, ...status },
});

const available = [
  { type: 'Available', status: 'True' },
  { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
];

describe('kstatus', () => {
  it('follows the Deployment rules: replicas, availability and the progress deadline', () => {
    expect(
      computeStatus(
        deployment(
          { replicas: 2 },
          { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: available },
        ),
      ),
    ).toMatchObject({ status: 'Current' });
    expect(
      computeStatus(
        deployment(
          { replicas: 2 },
          { replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1, conditions: available },
        ),
      ),
    ).toMatchObject({ status: 'InProgress', message: 'Available: 1/2' });
    expect(
      computeStatus(
        deployment(
          { replicas: 1 },
          {
            replicas: 1,
            updatedReplicas: 1,
            conditions: [
              {
                type: 'Progressing',
                status: 'False',
                reason: 'ProgressDeadlineExceeded',
                message: 'ReplicaSet "web-1" has timed out progressing.',
              },
            ],
          },
        ),
      ),
    ).toMatchObject({ status: 'Failed', reason: 'ProgressDeadlineExceeded' });
    expect(
      computeStatus(
        deployment(
          {},
          { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: available },
          2,
        ),
      ),
    ).toMatchObject({ status: 'InProgress', reason: 'LatestGenerationNotObserved' });
    // Scaled to zero is Current once the controller says the ReplicaSet is available.
    expect(computeStatus(deployment({ replicas: 0 }, { conditions: available }))).toMatchObject({ status: 'Current' });
    expect(computeStatus(deployment({ replicas: 0 }, { conditions: [] }))).toMatchObject({
      status: 'InProgress',
      reason: 'ReplicaSetNotAvailable',
    });
  });

  it('knows the other built-in kinds and the generic conditions', () => {
    const o = (apiVersion: string, kind: string, rest: object = {}, meta: object = {}): KubeObject => ({
      apiVersion,
      kind,
      metadata: { name: 'x', ...meta },
      ...rest,
    });
    expect(computeStatus(o('v1', 'ConfigMap')).status).toBe('Current');
    expect(computeStatus(o('v1', 'ConfigMap', {}, { deletionTimestamp: '2026-01-01T00:00:00Z' })).status).toBe(
      'Terminating',
    );
    expect(computeStatus(o('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }))).toMatchObject({
      status: 'InProgress',
      message: 'PVC is not Bound. phase: Pending',
    });
    expect(
      computeStatus(o('batch/v1', 'Job', { status: { conditions: [{ type: 'Failed', status: 'True' }] } })).status,
    ).toBe('Failed');
    expect(
      computeStatus(
        o('batch/v1', 'Job', { status: { startTime: 't', conditions: [{ type: 'Complete', status: 'True' }] } }),
      ).status,
    ).toBe('Current');
    expect(
      computeStatus(
        o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
          status: { conditions: [{ type: 'Established', status: 'True' }] },
        }),
      ).status,
    ).toBe('Current');
    expect(
      computeStatus(
        o('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
          status: { conditions: [{ type: 'NamesAccepted', status: 'False', reason: 'Conflict' }] },
        }),
      ).status,
    ).toBe('Failed');
    expect(computeStatus(o('apps/v1', 'DaemonSet', { status: {} })).message).toBe(
      'Missing .status.desiredNumberScheduled',
    );
    expect(
      computeStatus(
        o('apps/v1', 'StatefulSet', {
          spec: { replicas: 2 },
          status: { replicas: 2, readyReplicas: 2, currentReplicas: 2, currentRevision: 'a', updateRevision: 'b' },
        }),
      ).reason,
    ).toBe('RevisionMismatch');
    const now = Date.parse('2026-01-01T00:01:00Z');
    const pending = (since: string): KubeObject =>
      o('v1', 'Pod', {
        status: {
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: since }],
        },
      });
    expect(computeStatus(pending('2026-01-01T00:00:55Z'), now).status).toBe('InProgress');
    expect(computeStatus(pending('2026-01-01T00:00:00Z'), now).status).toBe('Failed');
    expect(
      computeStatus(
        o('v1', 'Pod', {
          status: {
            phase: 'Running',
            containerStatuses: [{ name: 'c', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
          },
        }),
      ).message,
    ).toBe('Containers in CrashLoop state: c');
    // Custom resources: Reconciling / Stalled first, then Ready, and no conditions means Current.
    const cr = (conditions: object[]): KubeObject => o('x.io/v1', 'Thing', { status: { conditions } });
    expect(computeStatus(cr([{ type: 'Reconciling', status: 'True', reason: 'Progressing' }])).status).toBe(
      'InProgress',
    );
    expect(
      computeStatus(cr([{ type: 'Stalled', status: 'True', reason: 'BuildFailed', message: 'bad' }])),
    ).toMatchObject({ status: 'Failed', message: 'bad' });
    expect(
      computeStatus(cr([{ type: 'Ready', status: 'False', reason: 'HealthCheckFailed', message: 'nope' }])),
    ).toMatchObject({ status: 'InProgress', message: 'nope' });
    expect(computeStatus(cr([{ type: 'Ready', status: 'True' }])).status).toBe('Current');
    expect(computeStatus(cr([])).status).toBe('Current');
  });
});

describe('drift and diff', () => {
  const live: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'a',
      uid: 'u',
      resourceVersion: '7',
      labels: { app: 'web', extra: 'by-hand' },
      managedFields: [
        {
          manager: 'kustomize-controller',
          operation: 'Apply',
          time: '2026-01-01T00:00:00Z',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:template': {
                'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} } } },
              },
            },
          },
        },
        {
          manager: 'kubectl-edit',
          operation: 'Update',
          time: '2026-01-02T00:00:00Z',
          fieldsV1: { 'f:metadata': { 'f:labels': { 'f:extra': {} } }, 'f:spec': { 'f:replicas': {} } },
        },
      ],
    },
    spec: {
      replicas: 5,
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1' },
            { name: 'side', image: 'x' },
          ],
        },
      },
    },
    status: { replicas: 5 },
  };
  const merged: KubeObject = {
    ...structuredClone(live),
    metadata: { ...structuredClone(live.metadata), labels: { app: 'web' } },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:2' },
            { name: 'side', image: 'x' },
          ],
        },
      },
    },
  };

  it('lists changed, added and removed fields with the manager that last set the live value', () => {
    expect(diffObjects(live, merged)).toEqual([
      {
        path: 'metadata.labels.extra',
        op: 'removed',
        live: 'by-hand',
        manager: 'kubectl-edit',
        operation: 'Update',
        time: '2026-01-02T00:00:00Z',
      },
      {
        path: 'spec.replicas',
        op: 'changed',
        live: 5,
        desired: 2,
        manager: 'kubectl-edit',
        operation: 'Update',
        time: '2026-01-02T00:00:00Z',
      },
      {
        path: 'spec.template.spec.containers[name=web].image',
        op: 'changed',
        live: 'nginx:1',
        desired: 'nginx:2',
        manager: 'kustomize-controller',
        operation: 'Apply',
        time: '2026-01-01T00:00:00Z',
      },
    ]);
    expect(hasDrifted(live, merged)).toBe(true);
    expect(hasDrifted(live, { ...live, status: { replicas: 0 } })).toBe(false);
    expect(hasDrifted(undefined, merged)).toBe(true);
  });

  it('masks Secret values, yet shows which keys changed', () => {
    const secret = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', resourceVersion: '1' },
      data,
    });
    const changes = diffObjects(secret({ a: 'c2VjcmV0', b: 'eA==' }), secret({ a: 'c2VjcmV0', b: 'eQ==', c: 'eg==' }));
    expect(changes).toEqual([
      { path: 'data.b', op: 'changed', live: '***', desired: '*** (changed)' },
      { path: 'data.c', op: 'added', desired: '***' },
    ]);
    expect(JSON.stringify(maskForDisplay(secret({ a: 'c2VjcmV0' })))).not.toContain('c2VjcmV0');
  });

  it('masks the last-applied annotation of a Secret, which holds every value', () => {
    const applied = (value: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        resourceVersion: '1',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ kind: 'Secret', data: { pw: value } }),
          team: 'web',
        },
      },
      data: { pw: value },
    });
    const live = applied('aHVudGVyMg==');
    const desired = applied('c3dvcmRmaXNo');
    for (const shown of [maskForDisplay(live), maskForDisplay(desired, live)])
      expect(JSON.stringify(shown)).not.toMatch(/aHVudGVyMg|c3dvcmRmaXNo/);
    expect(maskForDisplay(live).metadata.annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': '***',
      team: 'web',
    });
    const changes = diffObjects(live, desired);
    expect(JSON.stringify(changes)).not.toMatch(/aHVudGVyMg|c3dvcmRmaXNo/);
    expect(changes).toContainEqual(expect.objectContaining({ path: 'data.pw', live: '***', desired: '*** (changed)' }));
  });

  it('treats null, empty maps and empty lists alike, as apimachinery does', () => {
    expect(semanticEqual({ a: null }, { a: {} })).toBe(true);
    expect(semanticEqual({ a: [] }, { a: null })).toBe(true);
    expect(semanticEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});
