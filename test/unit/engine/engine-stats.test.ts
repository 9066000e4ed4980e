import { describe, expect, it } from 'vitest';

import {
  CounterRate,
  lagBeyondSampling,
  LOOP_SAMPLE_MS,
  percentile,
  RATE_WINDOW_MS,
  ReconcileStats,
} from '../../../main/engine/engine-stats.ts';

describe('percentile', () => {
  it('is the nearest rank of the sorted values, whatever their order', () => {
    const values = [50, 10, 40, 20, 30];
    expect(percentile(values, 50)).toBe(30);
    expect(percentile(values, 99)).toBe(50);
    expect(percentile(values, 1)).toBe(10);
    expect(percentile([], 99)).toBe(0);
  });

  it('names the slow tail of 100 reconciles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
  });
});

describe('ReconcileStats', () => {
  it('counts reconciles and failures of the last minute per cluster and kind', () => {
    const stats = new ReconcileStats();
    const t0 = 1_000_000;
    stats.record({ cluster: 'a', kind: 'Kustomization', durationMs: 100, failed: false }, t0);
    stats.record({ cluster: 'a', kind: 'Kustomization', durationMs: 300, failed: true }, t0 + 1000);
    stats.record({ cluster: 'a', kind: 'GitRepository', durationMs: 20, failed: false }, t0 + 2000);
    stats.record({ cluster: 'b', kind: 'Kustomization', durationMs: 5, failed: false }, t0 + 2000);

    const a = stats.kinds('a', t0 + 3000);
    expect(a.map((k) => k.kind)).toEqual(['GitRepository', 'Kustomization']);
    expect(a[1]).toEqual({
      kind: 'Kustomization',
      reconcilesPerMinute: 2,
      failuresPerMinute: 1,
      p50Ms: 100,
      p99Ms: 300,
      total: 2,
    });
    expect(stats.kinds('b', t0 + 3000)[0]?.total).toBe(1);
    expect(stats.kinds('c', t0)).toEqual([]);
  });

  it('drops what finished more than a minute ago from the rates but keeps it in the total', () => {
    const stats = new ReconcileStats();
    stats.record({ cluster: 'a', kind: 'Kustomization', durationMs: 10, failed: true }, 0);
    stats.record({ cluster: 'a', kind: 'Kustomization', durationMs: 10, failed: false }, RATE_WINDOW_MS / 2);
    const [k] = stats.kinds('a', RATE_WINDOW_MS + 1);
    expect(k?.reconcilesPerMinute).toBe(1);
    expect(k?.failuresPerMinute).toBe(0);
    expect(k?.total).toBe(2);
  });

  it('keeps percentiles over the latest reconciles only, in bounded memory', () => {
    const stats = new ReconcileStats();
    for (let i = 0; i < 5000; i++)
      stats.record({ cluster: 'a', kind: 'Kustomization', durationMs: i < 4000 ? 1000 : 1, failed: false }, i);
    const [k] = stats.kinds('a', 5000);
    // The last 1,024 samples are 1,000 fast ones and 24 slow ones: p50 follows the recent, fast reconciles.
    expect(k?.p50Ms).toBe(1);
    expect(k?.p99Ms).toBe(1000);
    expect(k?.total).toBe(5000);
  });

  it('forgets a disconnected cluster', () => {
    const stats = new ReconcileStats();
    stats.record({ cluster: 'a', kind: 'Kustomization', durationMs: 1, failed: false }, 0);
    stats.forget('a');
    expect(stats.kinds('a', 1)).toEqual([]);
  });
});

describe('CounterRate', () => {
  it('scales the growth of a counter to a minute, over the samples of the last minute', () => {
    const rate = new CounterRate();
    expect(rate.sample(100, 0)).toBe(0); // no baseline yet
    expect(rate.sample(130, 10_000)).toBe(180); // 30 in 10 s
    expect(rate.sample(160, 20_000)).toBe(180);
    // Much later, with the counter still: the old samples leave the window and the rate falls to the recent one.
    expect(rate.sample(160, 200_000)).toBe(0);
    expect(rate.sample(220, 230_000)).toBe(120); // 60 in 30 s
  });

  it('does not extrapolate from samples less than a second apart', () => {
    const rate = new CounterRate();
    rate.sample(0, 0);
    expect(rate.sample(50, 500)).toBe(0);
  });
});

describe('lagBeyondSampling', () => {
  const ns = (ms: number): number => ms * 1e6;
  it('is what a sample took beyond the sampling interval, never negative', () => {
    expect(lagBeyondSampling(ns(LOOP_SAMPLE_MS + 69.2))).toBe(69.2);
    expect(lagBeyondSampling(ns(LOOP_SAMPLE_MS))).toBe(0);
    // A timer that fired a little early is not negative lag.
    expect(lagBeyondSampling(ns(LOOP_SAMPLE_MS - 0.9))).toBe(0);
  });
});
