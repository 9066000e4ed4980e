/**
 * Heap limits for the engine's worker threads (kustomize builds, git and archive work). V8 gives each isolate a young
 * generation of up to 48 MB, which a busy worker fills and keeps: across the build and git workers that was ~80 MB of the engine’s
 * peak RSS at 300 Kustomizations (`bench loop --apps 300`: 509 → 430 MB with 8 MB, no slower within the noise: the
 * work is short-lived allocations that die young either way).
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 8 } as const;
