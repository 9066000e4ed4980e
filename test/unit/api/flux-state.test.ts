import { describe, expect, it } from 'vitest';

import { deriveFluxState } from '../../../main/api/flux-state.ts';
import { summarizeHealth } from '../../../main/api/health-summary.ts';
import type { Condition, FluxObjectData, Workload } from '../../../main/contract/index.ts';

function obj(conditions: Condition[], extra: Partial<FluxObjectData> = {}): FluxObjectData {
  return {
    uid: 'u1',
    cluster: 'c',
    group: 'kustomize.toolkit.fluxcd.io',
    version: 'v1',
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'apps',
    resourceVersion: '1',
    generation: 2,
    observedGeneration: 2,
    suspended: false,
    conditions,
    dependsOn: [],
    revision: {},
    ...extra,
  };
}

const ready = (status: Condition['status'], reason = 'R', message = 'm'): Condition => ({
  type: 'Ready',
  status,
  reason,
  message,
});

describe('the state derived from Flux conditions', () => {
  const cases: [string, FluxObjectData, string, boolean][] = [
    ['Ready=True', obj([ready('True', 'ReconciliationSucceeded')]), 'ready', false],
    ['Ready=False', obj([ready('False', 'BuildFailed')]), 'failed', false],
    ['Ready=False waiting for a dependency', obj([ready('False', 'DependencyNotReady')]), 'progressing', false],
    [
      'Ready=False in a dependency cycle (never resolves by itself)',
      obj([
        ready(
          'False',
          'DependencyNotReady',
          'Dependencies do not meet ready condition (dependency cycle: a -> b -> a)',
        ),
      ]),
      'failed',
      false,
    ],
    [
      'Ready=False with Reconciling ProgressingWithRetry (after a failure)',
      obj([
        ready('False', 'HealthCheckFailed'),
        { type: 'Reconciling', status: 'True', reason: 'ProgressingWithRetry' },
      ]),
      'failed',
      false,
    ],
    [
      'Ready=Unknown with Reconciling=True (working)',
      obj([ready('Unknown', 'Progressing'), { type: 'Reconciling', status: 'True', reason: 'Progressing' }]),
      'progressing',
      true,
    ],
    [
      'Stalled=True',
      obj([ready('False'), { type: 'Stalled', status: 'True', reason: 'InvalidPath', message: 'path not found' }]),
      'failed',
      false,
    ],
    [
      'a generation not observed yet',
      obj([ready('True')], { generation: 3, observedGeneration: 2 }),
      'progressing',
      true,
    ],
    ['suspended, whatever Ready says', obj([ready('False')], { suspended: true }), 'suspended', false],
    [
      'suspended with a generation not yet observed',
      obj([ready('True')], { suspended: true, generation: 3 }),
      'suspended',
      false,
    ],
    ['no conditions yet', obj([]), 'unknown', false],
  ];

  it.each(cases)('%s', (_what, o, status, reconciling) => {
    const s = deriveFluxState(o);
    expect(s.status).toBe(status);
    expect(s.reconciling).toBe(reconciling);
  });

  it('carries the Stalled reason and message, which say why it gave up', () => {
    const s = deriveFluxState(
      obj([
        ready('False', 'X', 'y'),
        { type: 'Stalled', status: 'True', reason: 'InvalidPath', message: 'path not found' },
      ]),
    );
    expect(s).toMatchObject({ reason: 'InvalidPath', message: 'path not found' });
  });
});

describe('the health summary', () => {
  const w = (health: Workload['health']): Workload => ({
    uid: health,
    cluster: 'c',
    group: 'apps',
    kind: 'Deployment',
    namespace: 'a',
    name: health,
    resourceVersion: '1',
    health,
    message: '',
  });

  it('is idle with nothing connected', () => {
    const h = summarizeHealth({
      snapshot: { objects: [], workloads: [] },
      connectedClusters: 0,
      paused: false,
      unreadAlerts: 0,
    });
    expect(h.overall).toBe('idle');
  });

  it('is degraded by a failing object or a Failed workload, progressing while something reconciles', () => {
    const base = { connectedClusters: 1, paused: false, unreadAlerts: 2 };
    expect(
      summarizeHealth({ ...base, snapshot: { objects: [obj([ready('True')])], workloads: [w('Current')] } }).overall,
    ).toBe('healthy');
    expect(summarizeHealth({ ...base, snapshot: { objects: [obj([ready('Unknown')])], workloads: [] } }).overall).toBe(
      'progressing',
    );
    expect(summarizeHealth({ ...base, snapshot: { objects: [obj([ready('False')])], workloads: [] } }).overall).toBe(
      'degraded',
    );
    const h = summarizeHealth({
      ...base,
      snapshot: { objects: [obj([ready('True')])], workloads: [w('Failed'), w('Current')] },
    });
    expect(h).toMatchObject({ overall: 'degraded', unhealthyWorkloads: 1, ready: 1, unreadAlerts: 2 });
  });
});
