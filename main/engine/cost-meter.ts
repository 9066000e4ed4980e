/**
 * The effects around {@link ReconcileStats}: subscribes to reconcile results, samples the clusters' request counters,
 * the process memory and the event loop's delay, and publishes a snapshot file so `fluxdeck stats` in another
 * terminal can show what a running desktop app or `fluxdeck run` spends.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import type { EngineStats } from '../contract/index.ts';
import type { ClusterSession } from './cluster-session.ts';
import type { ManagerEvents } from './controller-manager.ts';
import { CounterRate, lagBeyondSampling, LOOP_SAMPLE_MS, ReconcileStats } from './engine-stats.ts';
import type { QueueStats } from './work-queue.ts';

export interface CostMeterOptions {
  identity: string;
  sessions: () => readonly Pick<ClusterSession, 'context' | 'client'>[];
  /** The work queue of a context where this instance reconciles. */
  queue: (context: string) => QueueStats | undefined;
  onReconciled: (listener: (e: ManagerEvents['reconcile.finished']) => void) => () => void;
  /** Where snapshots are published (`<dataDir>/stats`); none: not published. */
  publishDir?: string;
  publishEveryMs?: number;
  now?: () => number;
}

export interface CostMeter {
  snapshot(): EngineStats;
  close(): void;
}

export function startCostMeter(opts: CostMeterOptions): CostMeter {
  const now = opts.now ?? Date.now;
  const started = now();
  const reconciles = new ReconcileStats();
  const rates = new Map<string, CounterRate>();
  const loop = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  loop.enable();
  const unsubscribe = opts.onReconciled((e) =>
    reconciles.record(
      { cluster: e.cluster, kind: e.kind, durationMs: e.durationMs, failed: e.error !== undefined || !!e.failure },
      now(),
    ),
  );

  const snapshot = (): EngineStats => {
    const t = now();
    const memory = process.memoryUsage();
    const lagP99Ms = loop.count > 0 ? lagBeyondSampling(loop.percentile(99)) : 0;
    loop.reset();
    const clusters = opts.sessions().map((s) => {
      const counted = s.client.stats;
      let rate = rates.get(s.context);
      if (!rate) rates.set(s.context, (rate = new CounterRate()));
      const queue = opts.queue(s.context);
      return {
        context: s.context,
        ...(queue && { queue }),
        requestsPerMinute: rate.sample(counted.total, t),
        requestsTotal: counted.total,
        requestsByVerb: { ...counted.byVerb },
        kinds: reconciles.kinds(s.context, t),
      };
    });
    for (const context of rates.keys())
      if (!clusters.some((c) => c.context === context)) {
        rates.delete(context);
        reconciles.forget(context);
      }
    return {
      at: new Date(t).toISOString(),
      identity: opts.identity,
      pid: process.pid,
      uptimeSeconds: Math.round((t - started) / 1000),
      process: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, eventLoopLagP99Ms: lagP99Ms },
      clusters,
    };
  };

  const file = opts.publishDir ? join(opts.publishDir, `${opts.identity}.json`) : undefined;
  const publish = (): void => {
    if (!file || !opts.publishDir) return;
    try {
      mkdirSync(opts.publishDir, { recursive: true, mode: 0o700 });
      // Written aside and renamed, so a reader never sees half a snapshot.
      writeFileSync(`${file}.tmp`, JSON.stringify(snapshot()), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch {
      // Stats are a convenience: a full disk must not disturb reconciling.
    }
  };
  const timer = file ? setInterval(publish, opts.publishEveryMs ?? 10_000) : undefined;
  timer?.unref();
  publish();

  return {
    snapshot,
    close() {
      if (timer) clearInterval(timer);
      unsubscribe();
      loop.disable();
      if (file) rmSync(file, { force: true });
    },
  };
}

/** True if a process with this pid runs (a snapshot left by a crashed instance is not shown). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The snapshots running instances published in `dir`, newest first; those of dead processes are skipped. */
export function readPublishedStats(dir: string): EngineStats[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const found: EngineStats[] = [];
  for (const name of names) {
    try {
      const s = JSON.parse(readFileSync(join(dir, name), 'utf8')) as EngineStats;
      if (typeof s.pid === 'number' && alive(s.pid) && Array.isArray(s.clusters)) found.push(s);
    } catch {
      // Being replaced right now, or not ours: skip.
    }
  }
  return found.sort((a, b) => b.at.localeCompare(a.at));
}
