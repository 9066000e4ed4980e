import type { Artifact, GitRepository, GitRepositoryInclude, GitRepositoryStatus } from '../../flux/source.ts';

/**
 * What the GitRepository reconciler needs from the world. controller.ts wires these to main/sources (git fetching,
 * the artifact store) and main/kube (Secrets, status, events).
 */

/** The result of resolving and fetching the configured ref. */
export interface FetchedRevision {
  /** The full commit hash. */
  commit: string;
  /** Flux's revision string, e.g. `main@sha1:<hash>`. */
  revision: string;
  /** The commit message's subject, for the NewArtifact event. */
  subject: string;
  /** Opaque handle to the checked-out tree, passed back to `storeArtifact`. */
  tree: unknown;
}

/** An include resolved to the included GitRepository's current artifact. */
export interface ResolvedInclude {
  include: GitRepositoryInclude;
  artifact: Artifact;
}

export interface GitRepositoryPorts {
  /** The decoded data of a Secret in the repository's namespace, or undefined if there is no such Secret. */
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  /**
   * Resolves `spec.ref` and fetches it. Errors should carry a Flux `reason` (AuthenticationFailed,
   * GitOperationFailed, URLInvalid...) and may carry the negative `condition` to raise, as properties; anything else
   * counts as FetchFailed/GitOperationFailed.
   */
  fetch(repo: GitRepository, auth: Record<string, string> | undefined, signal: AbortSignal): Promise<FetchedRevision>;
  /** The current artifact of another GitRepository in the namespace, for `include`. */
  includedArtifact(namespace: string, name: string): Artifact | undefined;
  /** True if the artifact's file is still in local storage. */
  artifactExists(artifact: Artifact): Promise<boolean>;
  /** Archives the fetched tree (ignore rules, includes), stores it and returns the artifact. */
  storeArtifact(
    repo: GitRepository,
    fetched: FetchedRevision,
    includes: ResolvedInclude[],
    signal: AbortSignal,
  ): Promise<Artifact>;
  /** Removes every artifact of the repository (on deletion). */
  deleteArtifacts(repo: GitRepository): Promise<void>;
  writeStatus(repo: GitRepository, status: GitRepositoryStatus): Promise<void>;
  setFinalizer(repo: GitRepository, present: boolean): Promise<void>;
  event(
    repo: GitRepository,
    event: { type: 'Normal' | 'Warning'; reason: string; message: string; revision?: string },
  ): void;
  now(): Date;
}
