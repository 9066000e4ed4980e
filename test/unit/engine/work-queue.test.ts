import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { kindOfKey, withJitter, WorkQueue } from '../../../main/engine/work-queue.ts';

/** A worker whose runs the test finishes by hand, to observe concurrency and ordering. */
function manualWorker(): {
  worker: (key: string, signal: AbortSignal) => Promise<{ requeueAfterMs?: number; error?: unknown }>;
  started: string[];
  finish: (key: string, result?: { requeueAfterMs?: number; error?: unknown }) => void;
  signals: Map<string, AbortSignal>;
} {
  const started: string[] = [];
  const pending = new Map<string, (r: { requeueAfterMs?: number; error?: unknown }) => void>();
  const signals = new Map<string, AbortSignal>();
  return {
    started,
    signals,
    worker: (key, signal) => {
      started.push(key);
      signals.set(key, signal);
      return new Promise((resolve) => pending.set(key, resolve));
    },
    finish: (key, result = {}) => {
      const r = pending.get(key);
      if (!r) throw new Error(`${key} is not running`);
      pending.delete(key);
      r(result);
    },
  };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
  afterEach(() => vi.useRealTimers());

  it('collapses pending duplicates into one run', async () => {
    const q = new WorkQueue({ concurrency: { default: 1 } });
    const w = manualWorker();
    q.add('c/Kustomization/ns/blocker');
    q.start(w.worker);
    q.add('c/Kustomization/ns/a');
    q.add('c/Kustomization/ns/a');
    q.add('c/Kustomization/ns/a');
    w.finish('c/Kustomization/ns/blocker');
    await flush();
    w.finish('c/Kustomization/ns/a');
    await flush();
    expect(w.started).toEqual(['c/Kustomization/ns/blocker', 'c/Kustomization/ns/a']);
    expect(q.stats()).toEqual({ waiting: 0, inFlight: 0, scheduled: 0 });
  });

  it('never runs one key twice at once, and reruns it once if it changed while in flight', async () => {
    const q = new WorkQueue({ concurrency: { default: 4 } });
    const w = manualWorker();
    q.start(w.worker);
    q.add('c/GitRepository/ns/x');
    q.add('c/GitRepository/ns/x');
    q.add('c/GitRepository/ns/x');
    expect(w.started).toEqual(['c/GitRepository/ns/x']);
    w.finish('c/GitRepository/ns/x');
    await flush();
    expect(w.started).toEqual(['c/GitRepository/ns/x', 'c/GitRepository/ns/x']);
    w.finish('c/GitRepository/ns/x');
    await flush();
    expect(w.started).toHaveLength(2);
  });

  it('bounds concurrency per kind without starving other kinds', async () => {
    const q = new WorkQueue({ concurrency: { default: 1, Kustomization: 2 } });
    const w = manualWorker();
    q.start(w.worker);
    for (const n of ['a', 'b', 'c']) q.add(`c/Kustomization/ns/${n}`);
    q.add('c/GitRepository/ns/src');
    expect(w.started).toEqual(['c/Kustomization/ns/a', 'c/Kustomization/ns/b', 'c/GitRepository/ns/src']);
    w.finish('c/Kustomization/ns/a');
    await flush();
    expect(w.started).toContain('c/Kustomization/ns/c');
  });

  it('requeues after the interval a successful run asks for', async () => {
    const q = new WorkQueue();
    const w = manualWorker();
    q.start(w.worker);
    q.add('c/Kustomization/ns/a');
    w.finish('c/Kustomization/ns/a', { requeueAfterMs: 60_000 });
    await flush();
    expect(q.stats().scheduled).toBe(1);
    vi.advanceTimersByTime(59_000);
    expect(w.started).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(w.started).toHaveLength(2);
  });

  it('backs off exponentially on failure and resets after success', async () => {
    const errors: number[] = [];
    const q = new WorkQueue({ backoff: { baseMs: 1000, maxMs: 5000 }, onError: (_k, _e, retry) => errors.push(retry) });
    const w = manualWorker();
    q.start(w.worker);
    q.add('c/Kustomization/ns/a');
    for (let i = 0; i < 4; i++) {
      w.finish('c/Kustomization/ns/a', { error: new Error('boom') });
      await flush();
      vi.advanceTimersByTime(errors.at(-1)!);
    }
    expect(errors).toEqual([1000, 2000, 4000, 5000]);
    w.finish('c/Kustomization/ns/a', {});
    await flush();
    q.add('c/Kustomization/ns/a');
    w.finish('c/Kustomization/ns/a', { error: new Error('again') });
    await flush();
    expect(errors.at(-1)).toBe(1000);
  });

  it('a new event runs a key at once even while it waits out a backoff', async () => {
    const q = new WorkQueue({ backoff: { baseMs: 60_000, maxMs: 60_000 } });
    const w = manualWorker();
    q.start(w.worker);
    q.add('c/Kustomization/ns/a');
    w.finish('c/Kustomization/ns/a', { error: new Error('broken yaml') });
    await flush();
    q.add('c/Kustomization/ns/a');
    expect(w.started).toHaveLength(2);
  });

  it('addAfter keeps the earliest schedule', () => {
    const q = new WorkQueue();
    const w = manualWorker();
    q.start(w.worker);
    q.addAfter('c/K/ns/a', 10_000);
    q.addAfter('c/K/ns/a', 50_000);
    vi.advanceTimersByTime(10_000);
    expect(w.started).toEqual(['c/K/ns/a']);
  });

  it('stop aborts in-flight runs and drops pending work', async () => {
    const q = new WorkQueue({ concurrency: { default: 1 } });
    const w = manualWorker();
    q.start(w.worker);
    q.add('c/K/ns/a');
    q.add('c/K/ns/b');
    q.addAfter('c/K/ns/c', 1000);
    const signal = w.signals.get('c/K/ns/a')!;
    const stopped = q.stop();
    expect(signal.aborted).toBe(true);
    w.finish('c/K/ns/a', { error: signal.reason });
    await stopped;
    vi.advanceTimersByTime(5000);
    expect(w.started).toEqual(['c/K/ns/a']);
    q.add('c/K/ns/d');
    expect(w.started).toEqual(['c/K/ns/a']);
  });

  it('remove forgets a waiting key and its schedule', async () => {
    const q = new WorkQueue({ concurrency: { default: 1 } });
    const w = manualWorker();
    q.start(w.worker);
    q.add('c/K/ns/a');
    q.add('c/K/ns/b');
    q.remove('c/K/ns/b');
    w.finish('c/K/ns/a');
    await flush();
    expect(w.started).toEqual(['c/K/ns/a']);
    expect(q.has('c/K/ns/b')).toBe(false);
  });

  it('a worker that throws is treated as a failure, not a crash', async () => {
    const q = new WorkQueue({ backoff: { baseMs: 100, maxMs: 100 } });
    let calls = 0;
    q.start(() => {
      calls++;
      return Promise.reject(new Error('unexpected'));
    });
    q.add('c/K/ns/a');
    await flush();
    vi.advanceTimersByTime(100);
    await flush();
    expect(calls).toBe(2);
  });
});

describe('queue helpers', () => {
  it('reads the kind from a key', () => {
    expect(kindOfKey('prod/Kustomization/flux-system/apps')).toBe('Kustomization');
  });
  it('jitters within the fraction', () => {
    expect(withJitter(1000, 0.1, () => 0)).toBe(900);
    expect(withJitter(1000, 0.1, () => 1)).toBe(1100);
    expect(withJitter(1000, 0.1, () => 0.5)).toBe(1000);
  });
});

describe('WorkQueue pause', () => {
  it('starts nothing while paused and catches up on resume', async () => {
    const q = new WorkQueue();
    const started: string[] = [];
    q.start((key) => {
      started.push(key);
      return Promise.resolve({});
    });
    q.pause(true);
    q.add('c/K/ns/a');
    q.add('c/K/ns/b');
    await flush();
    expect(started).toEqual([]);
    q.pause(false);
    await flush();
    expect(started).toEqual(['c/K/ns/a', 'c/K/ns/b']);
  });
});
