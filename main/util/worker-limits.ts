import { getPriority, setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/**
 * Heap limits for the engine's worker threads (kustomize builds, git and archive work). V8 gives each isolate a young
 * generation of up to 48 MB, which a busy worker fills and keeps: across the build and git workers that was ~80 MB of the engine’s
 * peak RSS at 300 Kustomizations (`bench loop --apps 300`: 509 → 430 MB with 8 MB, no slower within the noise: the
 * work is short-lived allocations that die young either way).
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 8 } as const;

/** How much nicer (lower in priority) than the main thread the engine's worker threads run, on Linux. */
export const WORKER_NICENESS = 5;

/**
 * Called by a worker thread as it starts: lowers that thread's scheduling priority below the main thread's, so on a
 * busy machine the main event loop (watches, requests, the UI's IPC) gets a core before a build or a fetch does. At the
 * same priority, the build and source workers took the CPU from it: with 10 clusters on 2 cores (`bench clusters`),
 * the main event loop's delay p99 was worst in the window where they ran. Where a core is free they run as fast as
 * before. Linux only: there setpriority(PRIO_PROCESS, 0) acts on the calling thread alone; on macOS and Windows it
 * would lower the whole app. On the main thread (a worker module imported in-process) it does nothing. Returns whether
 * the priority changed.
 */
export function lowerWorkerThreadPriority(platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux' || isMainThread) return false;
  try {
    const nice = getPriority(0);
    const lowered = Math.min(19, nice + WORKER_NICENESS);
    if (lowered === nice) return false;
    setPriority(0, lowered);
    return true;
  } catch {
    return false; // a sandbox that forbids it: run at the main thread's priority, as before
  }
}
