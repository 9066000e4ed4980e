/**
 * The reconcile work queue (ARCHITECTURE.md rule 6), in the spirit of client-go's rate-limited work queue:
 *
 * - keys are `cluster/kind/namespace/name`; adding a key that is already waiting does nothing (duplicates collapse);
 * - a key is processed by one worker at a time; adding it while it is in flight marks it dirty, and it runs once more
 *   after the current run ends (so no change is lost and none is processed twice concurrently);
 * - each kind has a bounded number of concurrent workers;
 * - a run's result asks to requeue after a delay (interval with jitter) or reports a failure, which requeues the key
 *   with per-key exponential backoff until it succeeds;
 * - `stop()` aborts in-flight runs through their AbortSignal and drops everything pending;
 * - with a gate (loop-gate.ts), nothing new starts while the main event loop is behind.
 */

import type { LoopGate } from './loop-gate.ts';

export interface RunResult {
  /** Run again after this many milliseconds (replaces any earlier schedule for the key). */
  requeueAfterMs?: number;
  /** The run failed: requeue with this key's backoff, unless `requeueAfterMs` is also given (then that wins). */
  error?: unknown;
}

export type Worker = (key: string, signal: AbortSignal) => Promise<RunResult>;

export interface WorkQueueOptions {
  /** Concurrent runs per kind (the second key segment); `default` applies to kinds not listed. */
  concurrency?: { default: number; [kind: string]: number };
  /** Failure backoff: base * 2^(failures-1), capped at max. */
  backoff?: { baseMs: number; maxMs: number };
  /** Called when a run throws or returns an error, after the key was requeued (for logs and metrics). */
  onError?: (key: string, error: unknown, retryInMs: number) => void;
  /** While closed, nothing new starts (engine-wide back-pressure from the main event loop; see loop-gate.ts). */
  gate?: Pick<LoopGate, 'closed' | 'whenOpen'>;
}

export interface QueueStats {
  waiting: number;
  inFlight: number;
  scheduled: number;
}

/** The kind segment of a `cluster/kind/namespace/name` key. */
export function kindOfKey(key: string): string {
  return key.split('/')[1] ?? '';
}

/** Spreads periodic work: `ms` ± `fraction` (uniformly), so hundreds of objects with one interval do not align. */
export function withJitter(ms: number, fraction = 0.1, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (1 + fraction * (2 * random() - 1))));
}

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly waiting = new Set<string>();
  private readonly inFlight = new Map<string, AbortController>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();
  private readonly failures = new Map<string, number>();
  private readonly running = new Map<string, number>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly concurrency: { default: number; [kind: string]: number };
  private readonly backoff: { baseMs: number; maxMs: number };
  private worker: Worker | undefined;
  private stopped = false;
  private paused = false;
  private readonly onError: WorkQueueOptions['onError'];
  private readonly gate: WorkQueueOptions['gate'];
  private readonly resume = (): void => this.pump();

  constructor(opts: WorkQueueOptions = {}) {
    this.concurrency = opts.concurrency ?? { default: 4 };
    this.backoff = opts.backoff ?? { baseMs: 1000, maxMs: 5 * 60_000 };
    this.onError = opts.onError;
    this.gate = opts.gate;
  }

  /** Starts dispatching to `worker`. Keys added before start wait until then. */
  start(worker: Worker): void {
    this.worker = worker;
    this.pump();
  }

  /** Queues `key` now. A key already waiting stays where it is; a key in flight runs again when it finishes. */
  add(key: string): void {
    if (this.stopped) return;
    this.clearTimer(key);
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Queues `key` after `delayMs`, unless it is already due sooner. */
  addAfter(key: string, delayMs: number): void {
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    this.schedule(key, delayMs);
  }

  /** Forgets `key`: cancels its schedule, its backoff and a waiting run (an in-flight run is not aborted). */
  remove(key: string): void {
    this.clearTimer(key);
    this.failures.delete(key);
    this.dirty.delete(key);
    if (this.waiting.delete(key)) this.ready.splice(this.ready.indexOf(key), 1);
  }

  /** Aborts the in-flight run of `key`, if any (used when an object is deleted or a cluster disconnects). */
  abort(key: string): void {
    this.inFlight.get(key)?.abort(new Error(`reconcile of ${key} aborted`));
  }

  /** While paused nothing new starts (runs in flight finish); keys keep collecting and run on resume. */
  pause(paused: boolean): void {
    this.paused = paused;
    this.pump();
  }

  /** Stops the queue: aborts in-flight runs and drops everything pending. Resolves when no run is in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.ready.length = 0;
    this.waiting.clear();
    this.dirty.clear();
    for (const c of this.inFlight.values()) c.abort(new Error('work queue stopped'));
    await this.idle();
  }

  /** Resolves when nothing is waiting or in flight (scheduled keys do not count). */
  idle(): Promise<void> {
    if (this.inFlight.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): QueueStats {
    return { waiting: this.waiting.size, inFlight: this.inFlight.size, scheduled: this.timers.size };
  }

  /** True if the key is waiting, in flight or scheduled. */
  has(key: string): boolean {
    return this.waiting.has(key) || this.inFlight.has(key) || this.timers.has(key);
  }

  private schedule(key: string, delayMs: number): void {
    this.clearTimer(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at: Date.now() + delayMs, timer });
  }

  private clearTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t.timer);
      this.timers.delete(key);
    }
  }

  private limitFor(kind: string): number {
    return this.concurrency[kind] ?? this.concurrency.default;
  }

  /** Starts as many waiting keys as the per-kind limits allow, oldest first. */
  private pump(): void {
    if (!this.worker || this.stopped || this.paused || this.ready.length === 0) return;
    if (this.gate?.closed) {
      this.gate.whenOpen(this.resume);
      return;
    }
    for (let i = 0; i < this.ready.length;) {
      const key = this.ready[i];
      if (key === undefined) break;
      const kind = kindOfKey(key);
      if ((this.running.get(kind) ?? 0) >= this.limitFor(kind)) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      this.waiting.delete(key);
      this.run(key, kind, this.worker);
    }
  }

  private run(key: string, kind: string, worker: Worker): void {
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    this.running.set(kind, (this.running.get(kind) ?? 0) + 1);
    const settle = (result: RunResult): void => {
      this.inFlight.delete(key);
      this.running.set(kind, (this.running.get(kind) ?? 1) - 1);
      if (!this.stopped) this.afterRun(key, result);
      this.pump();
      if (this.inFlight.size === 0 && this.waiting.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    worker(key, controller.signal).then(settle, (error: unknown) => settle({ error }));
  }

  private afterRun(key: string, result: RunResult): void {
    if (result.error !== undefined) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const retryIn = result.requeueAfterMs ?? Math.min(this.backoff.baseMs * 2 ** (n - 1), this.backoff.maxMs);
      this.onError?.(key, result.error, retryIn);
      if (this.dirty.delete(key)) this.add(key);
      else this.schedule(key, retryIn);
      return;
    }
    this.failures.delete(key);
    if (this.dirty.delete(key)) {
      this.add(key);
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } else if (result.requeueAfterMs !== undefined) this.schedule(key, result.requeueAfterMs);
  }
}
