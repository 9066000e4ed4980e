/**
 * Keeps the overall health current for the tray and the status bar: recomputed at most every `intervalMs` while the
 * engine changes, and announced only when it actually changed.
 */
import type { HealthSummary } from '../contract/index.ts';
import type { Workbench } from '../workbench/index.ts';
import { sameHealth, summarizeHealth } from './health-summary.ts';

export interface HealthMonitor {
  current(): HealthSummary;
  /** Recomputes now (after an action whose effect the caller reports at once), announcing a change. */
  refresh(): HealthSummary;
  /** Marks the health stale; it is recomputed within `intervalMs`. */
  invalidate(): void;
  onChange(listener: (h: HealthSummary) => void): () => void;
  dispose(): void;
}

export function createHealthMonitor(port: Workbench, connectedClusters: () => number, intervalMs = 250): HealthMonitor {
  const compute = (): HealthSummary =>
    summarizeHealth({
      snapshot: port.snapshot(),
      connectedClusters: connectedClusters(),
      paused: port.isPaused(),
      unreadAlerts: port.unreadAlerts(),
    });
  let last = compute();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<(h: HealthSummary) => void>();

  const refresh = (): HealthSummary => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const next = compute();
    if (sameHealth(next, last)) return last;
    last = next;
    for (const l of listeners) l(next);
    return next;
  };

  return {
    current: () => last,
    refresh,
    invalidate() {
      timer ??= setTimeout(refresh, intervalMs);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      listeners.clear();
    },
  };
}
