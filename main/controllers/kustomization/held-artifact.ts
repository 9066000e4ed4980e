import { setTimeout as sleep } from 'node:timers/promises';

import type { Artifact } from '../../flux/source.ts';

/** What waiting for a held artifact needs: the local store, the source's current status, and a way to wake it. */
export interface HeldArtifactPorts {
  /** True when local storage holds the artifact (its file, with its digest). */
  held(artifact: Artifact): Promise<boolean>;
  /** The source's artifact as its status says now (the watch cache), or undefined. */
  current(): Artifact | undefined;
  /** Asks the source to reconcile now. */
  requestRebuild(): void;
  /** The source's Ready=False message while its status says it fails (it cannot fetch now), else undefined. */
  failing(): string | undefined;
  /** How long to wait for the source; 60 s by default. */
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * The artifact of `wanted.revision` that local storage holds, waiting for the source to rebuild it when it does not.
 * Status can name a file this instance does not have (app data cleared) or another engine's tarball of the same
 * revision (a hand-off from in-cluster Flux or another instance: other bytes, other digest). Neither is a failure: the
 * source reconciles, rebuilds the revision and rewrites status with its own digest, and the Kustomization goes on
 * with that artifact. A different revision arriving meanwhile ends the wait with an error; the source's new artifact
 * requeues the Kustomization anyway. So does a source that fails (its server unreachable): it cannot rebuild, and
 * waiting for it would hold one of the Kustomization workers for the whole timeout, so a few such Kustomizations
 * (an app's data cleared while offline) would stall every other one for a minute.
 */
export async function heldArtifact(wanted: Artifact, ports: HeldArtifactPorts, signal: AbortSignal): Promise<Artifact> {
  if (await ports.held(wanted)) return wanted;
  ports.requestRebuild();
  const timeoutMs = ports.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = ports.current() ?? wanted;
    if (now.revision !== wanted.revision)
      throw new Error(
        `the source moved from revision ${wanted.revision} to ${now.revision}; retrying with the new one`,
      );
    if (await ports.held(now)) return now;
    const failing = ports.failing();
    if (failing !== undefined)
      throw new Error(
        `artifact ${wanted.path} is not in local storage and its source cannot rebuild it now (${failing}); this Kustomization goes on when the source has an artifact again`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `artifact ${wanted.path} (${wanted.digest}) is not in local storage and the source did not rebuild it within ${Math.round(timeoutMs / 1000)}s`,
      );
    await sleep(ports.pollMs ?? 250, undefined, { signal });
  }
}
