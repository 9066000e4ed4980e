/**
 * What the workstation spends, per cluster and per kind: reconciles and failures per minute, reconcile time
 * percentiles, API requests per minute. Pure and clock-driven (callers pass `now`), so it is table-tested; the
 * composition root feeds it from the bus and samples the request counters and the process.
 */
import type { KindStats } from '../contract/index.ts';

/** The sliding window rates are computed over. */
export const RATE_WINDOW_MS = 60_000;
/** Reconcile durations kept per cluster and kind for the percentiles (the most recent ones). */
const DURATIONS_KEPT = 1024;

/** Nearest-rank percentile of an unsorted list (0 when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

/** Timestamps in a sliding window: old ones drop off as time passes. */
class WindowCount {
  private readonly times: number[] = [];

  add(now: number): void {
    this.times.push(now);
  }

  count(now: number): number {
    const from = now - RATE_WINDOW_MS;
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] ?? 0) <= from) drop++;
    if (drop > 0) this.times.splice(0, drop);
    return this.times.length;
  }
}

interface KindRecord {
  finished: WindowCount;
  failed: WindowCount;
  durations: number[];
  next: number;
  total: number;
}

export interface ReconcileSample {
  cluster: string;
  kind: string;
  durationMs: number;
  failed: boolean;
}

/** Reconcile results per cluster and kind. */
export class ReconcileStats {
  private readonly byCluster = new Map<string, Map<string, KindRecord>>();

  record(sample: ReconcileSample, now: number): void {
    let kinds = this.byCluster.get(sample.cluster);
    if (!kinds) this.byCluster.set(sample.cluster, (kinds = new Map<string, KindRecord>()));
    let r = kinds.get(sample.kind);
    if (!r) {
      r = { finished: new WindowCount(), failed: new WindowCount(), durations: [], next: 0, total: 0 };
      kinds.set(sample.kind, r);
    }
    r.finished.add(now);
    if (sample.failed) r.failed.add(now);
    // A ring of the latest durations: percentiles follow what the engine does now, in bounded memory.
    if (r.durations.length < DURATIONS_KEPT) r.durations.push(sample.durationMs);
    else r.durations[r.next] = sample.durationMs;
    r.next = (r.next + 1) % DURATIONS_KEPT;
    r.total++;
  }

  kinds(cluster: string, now: number): KindStats[] {
    const kinds = this.byCluster.get(cluster);
    if (!kinds) return [];
    return [...kinds]
      .map(([kind, r]) => ({
        kind,
        reconcilesPerMinute: r.finished.count(now),
        failuresPerMinute: r.failed.count(now),
        p50Ms: percentile(r.durations, 50),
        p99Ms: percentile(r.durations, 99),
        total: r.total,
      }))
      .sort((a, b) => a.kind.localeCompare(b.kind));
  }

  forget(cluster: string): void {
    this.byCluster.delete(cluster);
  }
}

/**
 * A per-minute rate of an ever-growing counter (a cluster's API requests), from samples taken when asked: the
 * growth since the baseline sample, scaled to a minute.
 */
export class CounterRate {
  private readonly samples: { at: number; value: number }[] = [];

  sample(value: number, now: number): number {
    this.samples.push({ at: now, value });
    // The baseline is the oldest sample inside the window, or the newest one before it when sampling is sparse.
    while (this.samples.length > 2 && (this.samples[0]?.at ?? now) < now - RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    if (!first || now - first.at < 1000) return 0;
    return Math.round(((value - first.value) * RATE_WINDOW_MS) / (now - first.at));
  }
}

/** How often the event loop's delay is sampled (ms). */
export const LOOP_SAMPLE_MS = 10;

/**
 * The histogram holds the time between two samples, which is the sampling interval itself when nothing delays the
 * loop (an idle process reads p50 10.2 ms, p99 12 ms); the lag is what exceeds it (as fastify's under-pressure counts
 * it). Reporting the raw figure overstated every lag by the 10 ms interval.
 */
export function lagBeyondSampling(sampleNs: number): number {
  return Math.round(Math.max(0, sampleNs / 1e6 - LOOP_SAMPLE_MS) * 10) / 10;
}
