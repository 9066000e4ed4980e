import { describe, expect, it } from 'vitest';

import {
  deleteCondition,
  finalizeStatus,
  getCondition,
  isReady,
  isReconciling,
  isStalled,
  isUnknown,
  markFalse,
  markReconciling,
  markStalled,
  markTrue,
  markUnknown,
  MAX_CONDITION_MESSAGE_LENGTH,
  setCondition,
  summarize,
  trimConditionMessage,
} from '../../../main/flux/conditions.ts';
import type { Condition, ConditionStatus, FluxStatus } from '../../../main/flux/meta.ts';

const T0 = new Date('2024-05-01T10:00:00.789Z');
const T1 = new Date('2024-05-01T10:05:00.123Z');

function cond(type: string, status: ConditionStatus, reason = 'R', message = 'm', generation = 1): Condition {
  return { type, status, observedGeneration: generation, lastTransitionTime: '2024-01-01T00:00:00Z', reason, message };
}

describe('setCondition (conditions.Set)', () => {
  it('adds a condition with the generation and a whole-second UTC transition time', () => {
    const out = markTrue([], { type: 'Ready', reason: 'Succeeded', message: 'ok' }, { generation: 3, now: T0 });
    expect(out).toEqual([
      {
        type: 'Ready',
        status: 'True',
        observedGeneration: 3,
        lastTransitionTime: '2024-05-01T10:00:00Z',
        reason: 'Succeeded',
        message: 'ok',
      },
    ]);
  });

  it.each([
    ['same status, reason and message', 'True', 'R', 'm', false],
    ['new status', 'False', 'R', 'm', true],
    ['new reason', 'True', 'Other', 'm', true],
    ['new message', 'True', 'R', 'other', true],
  ] as const)('on %s moves lastTransitionTime: %s', (_what, status, reason, message, moves) => {
    const before = [cond('Ready', 'True', 'R', 'm', 1)];
    const out = setCondition(before, { type: 'Ready', status, reason, message }, { generation: 2, now: T1 });
    const ready = getCondition(out, 'Ready');
    expect(ready?.lastTransitionTime).toBe(moves ? '2024-05-01T10:05:00Z' : '2024-01-01T00:00:00Z');
    expect(ready?.observedGeneration).toBe(2);
    expect(ready?.status).toBe(status);
  });

  it('does not modify its input', () => {
    const before = [cond('Ready', 'True')];
    const copy = structuredClone(before);
    markFalse(before, { type: 'Ready', reason: 'Failed', message: 'x' }, { generation: 2, now: T1 });
    expect(before).toEqual(copy);
  });

  it('orders Stalled, Reconciling, Ready first, then newer generations, then by type', () => {
    const input = [
      cond('Healthy', 'True', 'R', 'm', 1),
      cond('ArtifactInStorage', 'True', 'R', 'm', 1),
      cond('Ready', 'Unknown'),
      cond('FetchFailed', 'True', 'R', 'm', 2),
      cond('Reconciling', 'True'),
    ];
    const out = markStalled(input, { reason: 'Bad', message: 'x' }, { generation: 1, now: T0 });
    expect(out.map((c) => c.type)).toEqual(['Stalled', 'Ready', 'FetchFailed', 'ArtifactInStorage', 'Healthy']);
  });

  it('trims long messages to the CRD limit, ending in ...', () => {
    const long = 'x'.repeat(MAX_CONDITION_MESSAGE_LENGTH + 10);
    const [ready] = markFalse([], { type: 'Ready', reason: 'Failed', message: long }, { generation: 1, now: T0 });
    expect(ready?.message).toHaveLength(MAX_CONDITION_MESSAGE_LENGTH);
    expect(ready?.message.endsWith('x...')).toBe(true);
  });
});

describe('trimConditionMessage', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['eleven char', 10, 'eleven ...'],
    ['😀😀😀😀😀😀', 5, '😀😀...'],
    ['😀😀😀😀😀', 5, '😀😀😀😀😀'],
  ])('%j within %d → %j', (input, max, out) => {
    expect(trimConditionMessage(input, max)).toBe(out);
  });
});

describe('mark helpers', () => {
  const ctx = { generation: 4, now: T0 };

  it('markReconciling sets Reconciling=True and removes Stalled', () => {
    const out = markReconciling([cond('Stalled', 'True')], { reason: 'Progressing', message: 'new generation' }, ctx);
    expect(out.map((c) => [c.type, c.status, c.reason])).toEqual([['Reconciling', 'True', 'Progressing']]);
    expect(isReconciling(out)).toBe(true);
  });

  it('markStalled sets Stalled=True and removes Reconciling', () => {
    const out = markStalled([cond('Reconciling', 'True')], { reason: 'InvalidCELExpression', message: 'x' }, ctx);
    expect(out.map((c) => [c.type, c.status])).toEqual([['Stalled', 'True']]);
    expect(isStalled(out)).toBe(true);
  });

  it.each(['Reconciling', 'Stalled', 'FetchFailed', 'ArtifactOutdated', 'StorageOperationFailed', 'BuildFailed'])(
    'markFalse removes the negative-polarity condition %s',
    (type) => {
      const out = markFalse([cond(type, 'True'), cond('Ready', 'True')], { type, reason: 'R', message: '' }, ctx);
      expect(out.map((c) => c.type)).toEqual(['Ready']);
    },
  );

  it('markFalse keeps a positive-polarity condition as False', () => {
    const out = markFalse([], { type: 'Healthy', reason: 'HealthCheckFailed', message: 'timeout' }, ctx);
    expect(out).toMatchObject([
      { type: 'Healthy', status: 'False', reason: 'HealthCheckFailed', observedGeneration: 4 },
    ]);
  });

  it('markUnknown writes Unknown', () => {
    const out = markUnknown([], { type: 'Ready', reason: 'Progressing', message: 'Reconciliation in progress' }, ctx);
    expect(isUnknown(out, 'Ready')).toBe(true);
    expect(isUnknown([], 'Ready')).toBe(true);
  });

  it('deleteCondition removes only the given type', () => {
    expect(deleteCondition([cond('Ready', 'True'), cond('Healthy', 'True')], 'Ready').map((c) => c.type)).toEqual([
      'Healthy',
    ]);
    expect(deleteCondition(undefined, 'Ready')).toEqual([]);
  });

  it.each([
    [[cond('Ready', 'True')], true],
    [[cond('Ready', 'False')], false],
    [[cond('Ready', 'True'), cond('Reconciling', 'True')], false],
    [[cond('Ready', 'True'), cond('Stalled', 'True')], false],
    [[], false],
  ])('isReady(%j) is %s', (conditions, ready) => {
    expect(isReady(conditions)).toBe(ready);
  });
});

describe('summarize (conditions.SetSummary as source-controller uses it)', () => {
  const ctx = { generation: 2, now: T0 };
  const order = [
    'StorageOperationFailed',
    'FetchFailed',
    'ArtifactOutdated',
    'ArtifactInStorage',
    'Stalled',
    'Reconciling',
  ];

  it.each<[string, Condition[], ConditionStatus, string]>([
    [
      'a failure (negative True) makes Ready False',
      [cond('FetchFailed', 'True', 'AuthenticationFailed'), cond('ArtifactInStorage', 'True', 'Succeeded')],
      'False',
      'AuthenticationFailed',
    ],
    [
      'the first failure in priority order wins',
      [
        cond('FetchFailed', 'True', 'GitOperationFailed'),
        cond('StorageOperationFailed', 'True', 'ArchiveOperationFailed'),
      ],
      'False',
      'ArchiveOperationFailed',
    ],
    [
      'Reconciling (negative True) makes Ready False too',
      [cond('Reconciling', 'True', 'Progressing'), cond('ArtifactInStorage', 'True', 'Succeeded')],
      'False',
      'Progressing',
    ],
    ['a positive True alone makes Ready True', [cond('ArtifactInStorage', 'True', 'Succeeded')], 'True', 'Succeeded'],
    [
      'a positive False beats a positive True',
      [cond('ArtifactInStorage', 'True', 'Succeeded'), cond('SourceVerified', 'False', 'VerificationError')],
      'False',
      'VerificationError',
    ],
    ['Unknown only stays Unknown', [cond('ArtifactInStorage', 'Unknown', 'Progressing')], 'Unknown', 'Progressing'],
  ])('%s', (_what, conditions, status, reason) => {
    const scope = [...order, 'SourceVerified'];
    const ready = getCondition(summarize(conditions, 'Ready', { conditions: scope }, ctx), 'Ready');
    expect(ready?.status).toBe(status);
    expect(ready?.reason).toBe(reason);
    expect(ready?.observedGeneration).toBe(2);
  });

  it('takes the message of the winning condition', () => {
    const out = summarize(
      [cond('FetchFailed', 'True', 'GitOperationFailed', 'clone failed')],
      'Ready',
      { conditions: order },
      ctx,
    );
    expect(getCondition(out, 'Ready')?.message).toBe('clone failed');
  });

  it('leaves the list alone when nothing is in scope', () => {
    const input = [cond('Healthy', 'True')];
    expect(summarize(input, 'Ready', { conditions: order }, ctx)).toEqual(input);
  });

  it('ignores the target itself and conditions out of scope', () => {
    const input = [
      cond('Ready', 'False', 'Old'),
      cond('Healthy', 'False', 'Ignored'),
      cond('ArtifactInStorage', 'True', 'Succeeded'),
    ];
    expect(getCondition(summarize(input, 'Ready', { conditions: order }, ctx), 'Ready')?.reason).toBe('Succeeded');
  });
});

describe('finalizeStatus', () => {
  const ctx = { generation: 7, now: T1 };

  it('on Ready=True removes Reconciling, records the generation and the handled request', () => {
    const status: FluxStatus = {
      observedGeneration: 6,
      conditions: [cond('Reconciling', 'True', 'Progressing'), cond('Ready', 'True', 'ReconciliationSucceeded')],
    };
    const out = finalizeStatus(
      { generation: 7, annotations: { 'reconcile.fluxcd.io/requestedAt': '2024-05-01T10:04:00Z' }, status },
      ctx,
    );
    expect(out.observedGeneration).toBe(7);
    expect(out.lastHandledReconcileAt).toBe('2024-05-01T10:04:00Z');
    expect(out.conditions?.map((c) => c.type)).toEqual(['Ready']);
    expect(status.conditions).toHaveLength(2);
  });

  it('on Ready=False keeps Reconciling with ProgressingWithRetry and the old observedGeneration', () => {
    const status: FluxStatus = {
      observedGeneration: 6,
      conditions: [cond('Reconciling', 'True', 'Progressing', 'building'), cond('Ready', 'False', 'BuildFailed')],
    };
    const out = finalizeStatus({ generation: 7, status }, ctx);
    expect(out.observedGeneration).toBe(6);
    expect(out.lastHandledReconcileAt).toBeUndefined();
    expect(getCondition(out.conditions, 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'ProgressingWithRetry',
      message: 'building',
      lastTransitionTime: '2024-05-01T10:05:00Z',
    });
  });

  it('on Ready=Unknown changes nothing but the handled request', () => {
    const status = {
      observedGeneration: -1,
      conditions: [cond('Reconciling', 'True', 'Progressing'), cond('Ready', 'Unknown')],
    };
    const out = finalizeStatus(
      { generation: 1, annotations: { 'reconcile.fluxcd.io/requestedAt': 'now' }, status },
      ctx,
    );
    expect(out).toEqual({ ...status, lastHandledReconcileAt: 'now' });
  });
});
