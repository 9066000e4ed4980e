import { describe, expect, it } from 'vitest';

import { formatBytes, formatMillis, timeAgo } from '../../../renderer/ui/format.ts';

describe('numbers for people', () => {
  it('shows durations in whole milliseconds below a second and tenths of seconds above', () => {
    expect(formatMillis(4.182608000000073)).toBe('4 ms');
    expect(formatMillis(999.4)).toBe('999 ms');
    expect(formatMillis(15000.567285000001)).toBe('15.0 s');
  });

  it('shows sizes and ages', () => {
    expect(formatBytes(0)).toMatch(/^0/);
    expect(formatBytes(3 * 1024 * 1024)).toMatch(/^3(\.0)? MB|MiB/);
    expect(timeAgo(new Date(Date.now() - 5000).toISOString())).toMatch(/5 ?s/);
  });
});
