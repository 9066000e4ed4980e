import { describe, expect, it } from 'vitest';

import {
  applyClusters,
  applyDelta,
  applyProgress,
  applySnapshot,
  dropCluster,
  isNewer,
  orderClusters,
  pruneActions,
  upsertAll,
} from '../../../renderer/store/reducers.ts';
import { clusterInfo } from '../../support/memory-engine.ts';
import { byUid, fluxObject, workload } from './fixtures.ts';

describe('resourceVersion ordering', () => {
  it('compares the apiserver’s decimal versions numerically, not as text', () => {
    expect(isNewer('10', '9')).toBe(true);
    expect(isNewer('9', '10')).toBe(false);
    expect(isNewer('100', '100')).toBe(false);
    expect(isNewer('123456789012345678901', '123456789012345678900')).toBe(true);
  });

  it('accepts any change when a version is not numeric (opaque by contract)', () => {
    expect(isNewer('abc', 'abd')).toBe(true);
    expect(isNewer('abc', 'abc')).toBe(false);
  });
});

describe('graph reducers', () => {
  const a1 = fluxObject('Kustomization', 'a', { resourceVersion: '5' });
  const a2 = { ...a1, resourceVersion: '6', suspended: true };
  const b = fluxObject('Kustomization', 'b', { resourceVersion: '3' });

  it('upserts by uid and ignores an update older than what it holds', () => {
    const map = byUid(a2);
    expect(upsertAll(map, [a1])).toBe(map);
    expect(upsertAll(byUid(a1), [a2])[a1.uid]).toBe(a2);
  });

  it('returns the same state when a delta changes nothing, so selectors stay quiet', () => {
    const state = { objects: byUid(a2, b), workloads: {} };
    expect(applyDelta(state, { objects: [a1, b], workloads: [], removed: [] })).toBe(state);
    expect(
      applyDelta(state, { objects: [], workloads: [], removed: [{ what: 'object', uid: 'gone', cluster: 'prod' }] }),
    ).toBe(state);
  });

  it('applies upserts and removals of objects and workloads in one step', () => {
    const w = workload('web');
    const state = { objects: byUid(a1, b), workloads: byUid(w) };
    const next = applyDelta(state, {
      objects: [a2],
      workloads: [{ ...w, resourceVersion: '2', health: 'Failed' }],
      removed: [{ what: 'object', uid: b.uid, cluster: 'prod' }],
    });
    expect(Object.keys(next.objects)).toEqual([a1.uid]);
    expect(next.objects[a1.uid]?.suspended).toBe(true);
    expect(next.workloads[w.uid]?.health).toBe('Failed');
    expect(state.objects[b.uid]).toBe(b);
  });

  it('keys by uid: a re-created object with the same name is a different object', () => {
    const recreated = { ...a1, uid: 'new-uid', resourceVersion: '1' };
    const next = applyDelta(
      { objects: byUid(a1), workloads: {} },
      {
        objects: [recreated],
        workloads: [],
        removed: [{ what: 'object', uid: a1.uid, cluster: 'prod' }],
      },
    );
    expect(Object.keys(next.objects)).toEqual(['new-uid']);
  });

  it('replaces the state with a snapshot but keeps a version a delta already made newer', () => {
    const stale = fluxObject('Kustomization', 'gone');
    const next = applySnapshot({ objects: byUid(a2, stale), workloads: {} }, { objects: [a1, b], workloads: [] });
    expect(Object.keys(next.objects).sort()).toEqual([a1.uid, b.uid].sort());
    expect(next.objects[a1.uid]).toBe(a2);
  });

  it('drops everything of a disconnected cluster and nothing else', () => {
    const other = fluxObject('Kustomization', 'x', { cluster: 'dev', uid: 'dev-x' });
    const w = workload('web');
    const next = dropCluster({ objects: byUid(a1, other), workloads: byUid(w) }, 'prod');
    expect(Object.keys(next.objects)).toEqual(['dev-x']);
    expect(next.workloads).toEqual({});
  });
});

describe('cluster and action reducers', () => {
  it('orders contexts with the current one first, then by name', () => {
    const map = applyClusters({}, [
      clusterInfo('zeta'),
      { ...clusterInfo('mid'), current: true },
      clusterInfo('alpha'),
    ]);
    expect(orderClusters(map)).toEqual(['mid', 'alpha', 'zeta']);
  });

  const key = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'a' } as const;
  const progress = (phase: 'requested' | 'waiting' | 'succeeded' | 'failed', message: string = phase) => ({
    actionId: 'act-00000001',
    key,
    phase,
    message,
    at: '2026-01-01T00:00:00Z',
  });

  it('follows an action from request to result and ignores progress after it finished', () => {
    let actions = applyProgress({}, progress('requested'), 'node', 1);
    actions = applyProgress(actions, progress('waiting', 'waiting for Ready'), 'node', 2);
    expect(actions['act-00000001']).toMatchObject({ phase: 'waiting', message: 'waiting for Ready', startedAt: 1 });
    actions = applyProgress(actions, progress('succeeded', 'applied revision main@sha1:1'), 'node', 3);
    expect(actions['act-00000001']).toMatchObject({ phase: 'succeeded', ok: true, finishedAt: 3 });
    expect(applyProgress(actions, progress('waiting'), 'node', 4)).toBe(actions);
  });

  it('keeps only the most recent finished actions', () => {
    let actions = {};
    for (let i = 0; i < 60; i++) {
      const id = `act-${String(i).padStart(8, '0')}`;
      actions = applyProgress(actions, { ...progress('succeeded'), actionId: id }, 'n', i);
    }
    actions = applyProgress(actions, { ...progress('requested'), actionId: 'running-0001' }, 'n', 100);
    const kept = pruneActions(actions, 50);
    expect(Object.keys(kept)).toHaveLength(51);
    expect(kept).toHaveProperty('running-0001');
    expect(kept).not.toHaveProperty('act-00000000');
    expect(kept).toHaveProperty('act-00000059');
  });
});
