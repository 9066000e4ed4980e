import { describe, expect, it, vi } from 'vitest';

import { holdFor, LoopGate } from '../../../main/engine/loop-gate.ts';
import { WorkQueue } from '../../../main/engine/work-queue.ts';

const BUSY = 1;
const IDLE = 0.1;

describe('LoopGate', () => {
  it('closes on lag the busy loop caused and reopens as the recent lag halves with each tick', () => {
    const gate = new LoopGate({ maxLagMs: 20 });
    expect(gate.closed).toBe(false);
    gate.observe(100, BUSY, 0);
    expect(gate.closed).toBe(true);
    gate.observe(0, IDLE, 10); // 50
    gate.observe(0, IDLE, 20); // 25
    expect(gate.closed).toBe(true);
    gate.observe(0, IDLE, 30); // 12.5
    expect(gate.closed).toBe(false);
  });

  it('ignores lag while the loop was mostly idle: the OS, not our work, delayed the tick', () => {
    const gate = new LoopGate({ maxLagMs: 20, busyShare: 0.8 });
    gate.observe(300, 0.3, 0);
    expect(gate.closed).toBe(false);
  });

  it('releases each waiter once when it opens, and after the hold even if it stays closed', () => {
    const gate = new LoopGate({ maxLagMs: 20, maxHoldMs: 100 });
    const calls: string[] = [];
    const a = (): number => calls.push('a');
    gate.observe(100, BUSY, 0);
    gate.whenOpen(a);
    gate.whenOpen(a);
    gate.whenOpen(() => calls.push('b'));
    gate.observe(60, BUSY, 10);
    gate.observe(60, BUSY, 60);
    expect(calls).toEqual([]);
    gate.observe(60, BUSY, 110); // still closed, but held 100 ms since the first tick that saw them
    expect(calls).toEqual(['a', 'b']);
    gate.observe(0, IDLE, 120);
    expect(calls).toEqual(['a', 'b']);
  });

  it('stays closed while held, however long and whatever the lag, and releases at the first tick after', () => {
    const gate = new LoopGate({ maxLagMs: 20, maxHoldMs: 100 });
    const calls: string[] = [];
    const first = gate.hold();
    const second = gate.hold();
    gate.whenOpen(() => calls.push('a'));
    for (const t of [0, 200, 400]) gate.observe(0, IDLE, t);
    expect(gate.closed).toBe(true);
    expect(calls).toEqual([]);
    first();
    first(); // a second call of one release does not end the other hold
    gate.observe(0, IDLE, 410);
    expect(gate.closed).toBe(true);
    expect(calls).toEqual([]);
    second();
    expect(gate.closed).toBe(false);
    gate.observe(0, IDLE, 420);
    expect(calls).toEqual(['a']);
  });

  it('holdFor ends the hold on its own after maxMs, or when released', () => {
    vi.useFakeTimers();
    try {
      const gate = new LoopGate();
      holdFor(gate, 3000);
      vi.advanceTimersByTime(2999);
      expect(gate.closed).toBe(true);
      vi.advanceTimersByTime(1);
      expect(gate.closed).toBe(false);
      const release = holdFor(gate, 3000);
      release();
      expect(gate.closed).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('WorkQueue with a LoopGate', () => {
  it('starts nothing while the gate is closed and everything waiting once it opens', async () => {
    const gate = new LoopGate({ maxLagMs: 20 });
    const q = new WorkQueue({ concurrency: { default: 4 }, gate });
    const started: string[] = [];
    q.start((key, signal) => {
      started.push(key);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({})));
    });
    gate.observe(100, BUSY, 0);
    q.add('c/Kustomization/ns/a');
    q.add('c/Kustomization/ns/b');
    expect(started).toEqual([]);
    expect(q.stats().waiting).toBe(2);
    for (const t of [10, 20, 30]) gate.observe(0, IDLE, t);
    expect(started).toEqual(['c/Kustomization/ns/a', 'c/Kustomization/ns/b']);
    await q.stop();
  });
});
