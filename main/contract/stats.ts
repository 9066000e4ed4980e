/**
 * What the workstation spends (`fluxdeck stats` and the app's costs panel): per cluster, reconciles and failures per
 * minute and reconcile-time percentiles per kind, queue depth, API requests per minute; for the process, memory and
 * the main event loop's delay. Computed in main/engine/engine-stats.ts.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

export const KindStats = z.object({
  kind: z.string(),
  /** Reconciles that finished in the last minute. */
  reconcilesPerMinute: count,
  /** Of those, the ones that failed (an error, or Ready=False recorded). */
  failuresPerMinute: count,
  /** Over the most recent reconciles of this kind (up to 1,024). */
  p50Ms: ms,
  p99Ms: ms,
  /** Since the engine started. */
  total: count,
});
export type KindStats = z.infer<typeof KindStats>;

export const ClusterStats = z.object({
  context: z.string(),
  /** Absent where this instance does not reconcile (observing, standby, no Flux CRDs). */
  queue: z.object({ waiting: count, inFlight: count, scheduled: count }).optional(),
  requestsPerMinute: count,
  requestsTotal: count,
  /** Requests since the engine started, by verb (`GET`, `APPLY`, `LIST`, `WATCH`, ...). */
  requestsByVerb: z.record(z.string(), count),
  kinds: z.array(KindStats),
});
export type ClusterStats = z.infer<typeof ClusterStats>;

export const EngineStats = z.object({
  /** ISO time of the snapshot. */
  at: z.string(),
  identity: z.string(),
  pid: count,
  uptimeSeconds: count,
  process: z.object({
    rssBytes: count,
    heapUsedBytes: count,
    /** p99 of how late the main event loop ran a 10 ms timer (beyond those 10 ms) since the previous snapshot. */
    eventLoopLagP99Ms: ms,
  }),
  clusters: z.array(ClusterStats),
});
export type EngineStats = z.infer<typeof EngineStats>;

export const statsRequests = {
  'engine:stats': { req: z.strictObject({}), res: EngineStats },
} as const;
