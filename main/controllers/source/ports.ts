import type { Artifact, SourceStatus } from '../../flux/source.ts';
import type { KubeObject } from '../../util/kube-object.ts';

/**
 * What every artifact-producing source (GitRepository, OCIRepository, Bucket) needs from the world; the kind's
 * `SourceKind` adds what differs between them. controller.ts of each kind wires these to main/sources and main/kube.
 */

/** A source object as the shared reconcile reads it. */
export type SourceObject = KubeObject & {
  spec: { interval: string; suspend?: boolean; secretRef?: { name: string } };
  status?: SourceStatus;
};

/** What a fetch found upstream: Flux's revision string and a one-line description for the NewArtifact event. */
export interface Fetched {
  revision: string;
  /** e.g. "commit 'Add app'" or "digest 'sha256:…'". */
  describe: string;
}

export interface SourceEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  revision?: string;
}

export interface SourcePorts<T extends SourceObject> {
  /** The decoded data of a Secret in the object's namespace, or undefined if there is no such Secret. */
  secret(namespace: string, name: string, signal: AbortSignal): Promise<Record<string, string> | undefined>;
  /** True if the artifact's file is still in local storage. */
  artifactExists(artifact: Artifact): Promise<boolean>;
  /** Removes every artifact of the object (on deletion). */
  deleteArtifacts(obj: T): Promise<void>;
  writeStatus(obj: T, status: NonNullable<T['status']>): Promise<void>;
  setFinalizer(obj: T, present: boolean): Promise<void>;
  event(obj: T, event: SourceEvent): void;
  now(): Date;
}

/**
 * What one kind adds to the shared reconcile: how to fetch, which other inputs the artifact depends on (ignore
 * rules, includes, the layer selector), and how to store it. `I` is what `inputs` resolves (GitRepository's includes).
 */
export interface SourceKind<T extends SourceObject, F extends Fetched, I> {
  /** The reason recorded when `fetch` fails without naming one (GitOperationFailed, OCIArtifactPullFailed, ...). */
  fetchFailedReason: string;
  /**
   * Resolves the ref and fetches. Errors may carry a Flux `reason` (AuthenticationFailed, URLInvalid, ...) and the
   * negative `condition` to raise, as properties.
   */
  fetch(obj: T, auth: Record<string, string> | undefined, signal: AbortSignal): Promise<F>;
  /** Other inputs of the artifact, resolved before storing; may throw a SourceFailure. */
  inputs(obj: T): I;
  /** True if the stored artifact was built from these inputs too (the revision is compared by the reconcile). */
  sameInputs(obj: T, status: NonNullable<T['status']>, inputs: I): boolean;
  store(obj: T, fetched: F, inputs: I, signal: AbortSignal): Promise<Artifact>;
  /** Records in status what the new artifact was built from (`observedIgnore`, ...). */
  observe(obj: T, status: NonNullable<T['status']>, inputs: I): void;
  /**
   * Checks the fetched revision's signature (`spec.verify`): resolves to the SourceVerified message, or undefined when
   * the object asks for no verification; throws a SourceFailure on SourceVerified when it does not verify.
   */
  verify?(
    obj: T,
    fetched: F,
    auth: Record<string, string> | undefined,
    signal: AbortSignal,
  ): Promise<string | undefined>;
}
