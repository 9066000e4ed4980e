import type { Artifact, HelmRepository } from '../../flux/source.ts';
import type { Fetched, SourcePorts } from '../source/ports.ts';

/**
 * What the HelmRepository reconciler needs from the world, beyond every source's ports. controller.ts wires these to
 * main/sources/helm (index download and parsing) and the artifact store.
 */

/** The index as downloaded: Flux's revision (digest of the bytes) and the parsed index to store. */
export interface FetchedIndex extends Fetched {
  /** `sha256:<hex>` of the index as downloaded. */
  revision: string;
  /** The validated index, stored as JSON as source-controller does. */
  index: unknown;
}

/** A HelmRepository with `spec.interval` defaulted (Flux's `GetRequeueAfter`), as the shared source reconcile reads it. */
export type IndexRepository = HelmRepository & { spec: { interval: string } };

export interface HelmRepositoryPorts extends SourcePorts<IndexRepository> {
  /** Downloads `<url>/index.yaml` with the secretRef/certSecretRef credentials and validates it. */
  fetchIndex(
    repo: HelmRepository,
    auth: Record<string, string> | undefined,
    signal: AbortSignal,
  ): Promise<FetchedIndex>;
  storeIndex(repo: IndexRepository, fetched: FetchedIndex, signal: AbortSignal): Promise<Artifact>;
  /** Empties the status (and the artifacts) of an OCI HelmRepository, which Flux keeps as a static object. */
  resetStatic(repo: IndexRepository): Promise<void>;
}
