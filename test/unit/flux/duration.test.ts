import { describe, expect, it } from 'vitest';

import { formatDuration, isDuration, parseDuration, TIMEOUT_PATTERN } from '../../../main/flux/duration.ts';

describe('Go durations', () => {
  it.each([
    ['1s', 1000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['10m0s', 600_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['0.5h', 1_800_000],
    ['2h45m10.25s', 9_910_250],
    ['1.000001ms', 1.000001],
    ['0s', 0],
    ['1m1m', 120_000],
  ])('parses %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '1', '1d', '-1s', '1 m', 's', '.5s', '1.s', '1us', '1ns', '1S', 'abc'])('rejects %j', (text) => {
    expect(isDuration(text)).toBe(false);
    expect(() => parseDuration(text)).toThrow(/invalid duration .*ms, s, m or h/);
  });

  it('truncates sub-nanosecond fractions like Go', () => {
    expect(parseDuration('0.0000000019s')).toBe(0.000001);
  });

  it.each([
    [0, '0s'],
    [1000, '1s'],
    [1500, '1.5s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [5_400_000, '1h30m0s'],
    [9_910_250, '2h45m10.25s'],
    [250, '250ms'],
    [1.5, '1.5ms'],
    [0.5, '500µs'],
    [0.0001, '100ns'],
    [-90_000, '-1m30s'],
    [90_000.001, '1m30.000001s'],
    [100 * 3_600_000, '100h0m0s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips what it formats', () => {
    for (const text of ['1m0s', '1h30m0s', '2h45m10.25s', '250ms', '1.5s', '10m0s']) {
      expect(formatDuration(parseDuration(text))).toBe(text);
    }
  });

  it('accepts no hours in source timeouts', () => {
    expect(TIMEOUT_PATTERN.test('90s')).toBe(true);
    expect(TIMEOUT_PATTERN.test('1h')).toBe(false);
  });
});
