/**
 * Holds back new reconciles while the main event loop is behind because of our own work.
 *
 * Every cluster's work queue shares one main thread with the UI's IPC and WebSocket. With 10 clusters × 100
 * Kustomizations reconciling at once (bench clusters) the thread was saturated by responses and socket writes, and a
 * 10 ms timer waited 120–600 ms (p99 per 10 s window): the UI would freeze for as long. Starting no new reconcile
 * while the loop lags lets the ones in flight drain, so concurrency adapts to what the thread can carry.
 *
 * - Only lag the engine causes closes the gate: a tick that came late while the loop was mostly idle (the OS gave the
 *   CPU to other processes) does not, since holding back our work would not help.
 * - A slow or unreachable cluster costs no CPU while its requests wait, so it does not close the gate on the others.
 * - Waiting work is released after `maxHoldMs` even if the loop is still behind, so nothing starves.
 */
import { performance } from 'node:perf_hooks';

export interface LoopGateOptions {
  /** Lag above which the gate closes (ms). */
  maxLagMs?: number;
  /** The share of a tick the loop must have been busy for its lag to count as ours. */
  busyShare?: number;
  /** Waiting work runs after this long even if the loop is still behind (ms). */
  maxHoldMs?: number;
}

/** The gate's decision, fed one observation per tick (pure: the timer lives in `startLoopGate`). */
export class LoopGate {
  private recentLagMs = 0;
  private holds = 0;
  private heldSince: number | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly maxLagMs: number;
  private readonly busyShare: number;
  private readonly maxHoldMs: number;

  constructor(opts: LoopGateOptions = {}) {
    this.maxLagMs = opts.maxLagMs ?? 20;
    this.busyShare = opts.busyShare ?? 0.8;
    this.maxHoldMs = opts.maxHoldMs ?? 250;
  }

  /** True while new work should wait. */
  get closed(): boolean {
    return this.holds > 0 || this.recentLagMs > this.maxLagMs;
  }

  /**
   * Closes the gate, whatever the lag, until the returned function is called (once counts; later calls do nothing).
   * Waiting work is released at the first tick after the last hold ends.
   */
  hold(): () => void {
    this.holds++;
    let held = true;
    return () => {
      if (held) this.holds--;
      held = false;
    };
  }

  /** Calls `fn` once, at the first tick the gate is open (or the hold ran out). Adding the same `fn` again is a no-op. */
  whenOpen(fn: () => void): void {
    if (this.waiters.size === 0) this.heldSince = undefined;
    this.waiters.add(fn);
  }

  /**
   * One tick: how late it came and how busy the loop was meanwhile (0–1). The recent lag halves with every tick, so a
   * single late tick closes the gate for a few ticks, not for good.
   */
  observe(lagMs: number, utilization: number, nowMs: number): void {
    const ours = utilization >= this.busyShare ? lagMs : 0;
    this.recentLagMs = Math.max(ours, this.recentLagMs / 2);
    if (this.waiters.size === 0 || this.holds > 0) return;
    this.heldSince ??= nowMs;
    if (this.closed && nowMs - this.heldSince < this.maxHoldMs) return;
    const release = [...this.waiters];
    this.waiters.clear();
    this.heldSince = undefined;
    for (const fn of release) fn();
  }
}

/** `gate.hold()` that also ends on its own after `maxMs` (an unref'd timer), so a forgotten release cannot stall. */
export function holdFor(gate: LoopGate, maxMs: number): () => void {
  const release = gate.hold();
  const timer = setTimeout(release, maxMs);
  timer.unref();
  return () => {
    clearTimeout(timer);
    release();
  };
}

/** A gate fed by a 10 ms timer that does not keep the process alive. */
export function startLoopGate(opts: LoopGateOptions & { tickMs?: number } = {}): LoopGate & { stop(): void } {
  const tickMs = opts.tickMs ?? 10;
  const gate = new LoopGate(opts);
  let last = performance.now();
  let elu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.now();
    const next = performance.eventLoopUtilization();
    gate.observe(Math.max(0, now - last - tickMs), performance.eventLoopUtilization(next, elu).utilization, now);
    last = now;
    elu = next;
  }, tickMs);
  timer.unref();
  return Object.assign(gate, { stop: () => clearInterval(timer) });
}
