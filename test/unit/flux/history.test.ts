import { describe, expect, it } from 'vitest';

import { HISTORY_MAX_SIZE, upsertHistory } from '../../../main/flux/history.ts';

const t = (s: number): Date => new Date(Date.UTC(2026, 11, 4, 12, 0, s));
const rev = (n: number): Record<string, string> => ({ revision: `main@sha1:${String(n).repeat(40).slice(0, 40)}` });

describe('upsertHistory (meta.History.Upsert)', () => {
  it('records a first snapshot as kustomize-controller writes it', () => {
    const h = upsertHistory(undefined, {
      digest: 'sha256:a',
      now: t(1),
      durationMs: 1234.5,
      status: 'ReconciliationSucceeded',
      metadata: rev(1),
    });
    expect(h).toEqual([
      {
        digest: 'sha256:a',
        firstReconciled: '2026-12-04T12:00:01Z',
        lastReconciled: '2026-12-04T12:00:01Z',
        lastReconciledDuration: '1.2345s',
        lastReconciledStatus: 'ReconciliationSucceeded',
        totalReconciliations: 1,
        metadata: rev(1),
      },
    ]);
  });

  it('counts the same digest and status again, keeps its first time and moves it to the front', () => {
    let h = upsertHistory(undefined, {
      digest: 'sha256:a',
      now: t(1),
      durationMs: 5,
      status: 'ReconciliationSucceeded',
    });
    h = upsertHistory(h, { digest: 'sha256:b', now: t(2), durationMs: 5, status: 'ReconciliationSucceeded' });
    h = upsertHistory(h, { digest: 'sha256:a', now: t(3), durationMs: 7, status: 'ReconciliationSucceeded' });
    expect(h.map((s) => [s.digest, s.totalReconciliations])).toEqual([
      ['sha256:a', 2],
      ['sha256:b', 1],
    ]);
    expect(h[0]).toMatchObject({
      firstReconciled: '2026-12-04T12:00:01Z',
      lastReconciled: '2026-12-04T12:00:03Z',
      lastReconciledDuration: '7ms',
    });
  });

  it('keeps a failure of the same build apart from its success', () => {
    let h = upsertHistory(undefined, {
      digest: 'sha256:a',
      now: t(1),
      durationMs: 5,
      status: 'ReconciliationSucceeded',
    });
    h = upsertHistory(h, { digest: 'sha256:a', now: t(2), durationMs: 5, status: 'HealthCheckFailed' });
    expect(h.map((s) => s.lastReconciledStatus)).toEqual(['HealthCheckFailed', 'ReconciliationSucceeded']);
  });

  it(`keeps the newest ${HISTORY_MAX_SIZE}`, () => {
    let h = upsertHistory(undefined, {
      digest: 'sha256:0',
      now: t(0),
      durationMs: 1,
      status: 'ReconciliationSucceeded',
    });
    for (let i = 1; i < 8; i++)
      h = upsertHistory(h, { digest: `sha256:${i}`, now: t(i), durationMs: 1, status: 'ReconciliationSucceeded' });
    expect(h.map((s) => s.digest)).toEqual(['sha256:7', 'sha256:6', 'sha256:5', 'sha256:4', 'sha256:3']);
  });
});
