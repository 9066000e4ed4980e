import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createBatcher } from '../../../main/api/batcher.ts';

interface Item {
  uid: string;
  v: number;
}

function setup(
  maxItems = 3,
  maxDelayMs = 100,
): { flushed: Item[][]; push(uid: string, v: number): void; b: ReturnType<typeof createBatcher<Item>> } {
  const flushed: Item[][] = [];
  const b = createBatcher<Item>({ maxItems, maxDelayMs, keyOf: (i) => i.uid, flush: (items) => flushed.push(items) });
  return { flushed, b, push: (uid, v) => b.push({ uid, v }) };
}

describe('the batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds items until the delay passes, then sends them in one batch', () => {
    const t = setup(10, 100);
    t.push('a', 1);
    t.push('b', 1);
    vi.advanceTimersByTime(99);
    expect(t.flushed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(t.flushed).toEqual([
      [
        { uid: 'a', v: 1 },
        { uid: 'b', v: 1 },
      ],
    ]);
  });

  it('flushes at once when the batch reaches its size limit', () => {
    const t = setup(3, 1000);
    t.push('a', 1);
    t.push('b', 1);
    expect(t.flushed).toEqual([]);
    t.push('c', 1);
    expect(t.flushed).toHaveLength(1);
    expect(t.flushed[0]?.map((i) => i.uid)).toEqual(['a', 'b', 'c']);
    vi.advanceTimersByTime(1000);
    expect(t.flushed).toHaveLength(1);
  });

  it('collapses items with the same key to the newest, in the first one’s place', () => {
    const t = setup(10, 100);
    t.push('a', 1);
    t.push('b', 1);
    t.push('a', 2);
    t.push('a', 3);
    expect(t.b.size).toBe(2);
    vi.advanceTimersByTime(100);
    expect(t.flushed).toEqual([
      [
        { uid: 'a', v: 3 },
        { uid: 'b', v: 1 },
      ],
    ]);
  });

  it('counts distinct keys toward the size limit, so a storm on one object does not flush early', () => {
    const t = setup(3, 100);
    for (let i = 0; i < 50; i++) t.push('a', i);
    expect(t.flushed).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(t.flushed).toEqual([[{ uid: 'a', v: 49 }]]);
  });

  it('throttles rather than debounces: a steady stream still flushes every delay', () => {
    const t = setup(1000, 100);
    for (let ms = 0; ms < 450; ms += 10) {
      t.push(`k${ms}`, ms);
      vi.advanceTimersByTime(10);
    }
    expect(t.flushed.length).toBe(4);
    expect(t.flushed.flat()).toHaveLength(40);
  });

  it('starts a new window after a flush', () => {
    const t = setup(10, 100);
    t.push('a', 1);
    vi.advanceTimersByTime(100);
    vi.advanceTimersByTime(500);
    expect(t.flushed).toHaveLength(1);
    t.push('b', 1);
    vi.advanceTimersByTime(100);
    expect(t.flushed).toHaveLength(2);
  });

  it('sends nothing for an empty window and nothing after dispose', () => {
    const t = setup(10, 100);
    t.b.flush();
    t.push('a', 1);
    t.b.dispose();
    vi.advanceTimersByTime(1000);
    t.push('b', 1);
    vi.advanceTimersByTime(1000);
    expect(t.flushed).toEqual([]);
  });

  it('keeps working when a flush throws (the sink went away mid-send)', () => {
    const errors: unknown[] = [];
    let fail = true;
    const sent: number[][] = [];
    const b = createBatcher<number>({
      maxItems: 10,
      maxDelayMs: 50,
      flush: (items) => {
        if (fail) throw new Error('socket closed');
        sent.push(items);
      },
      onError: (e) => errors.push(e),
    });
    b.push(1);
    vi.advanceTimersByTime(50);
    fail = false;
    b.push(2);
    vi.advanceTimersByTime(50);
    expect(errors).toHaveLength(1);
    expect(sent).toEqual([[2]]);
  });
});
