import type { Artifact, Bucket } from '../../flux/source.ts';
import type { Fetched, SourcePorts } from '../source/ports.ts';

/**
 * What the Bucket reconciler needs from the world, beyond every source's ports. controller.ts wires these to the
 * S3 client (main/sources/bucket) and the artifact store.
 */

/** The bucket's listing, reduced to what the artifact is built from. */
export interface BucketIndex extends Fetched {
  /** `sha256:<digest of the sorted key/ETag index>` (Flux's revision for buckets). */
  revision: string;
  /** Opaque handle (the listed objects) passed back to `storeArtifact`. */
  objects: unknown;
}

export interface BucketPorts extends SourcePorts<Bucket> {
  /**
   * Lists the bucket (under `spec.prefix`, without what `spec.ignore` and `.sourceignore` exclude) and computes the
   * revision. `auth` is the decoded `secretRef` (`accesskey`, `secretkey`). Errors may carry a Flux `reason`.
   */
  index(bucket: Bucket, auth: Record<string, string> | undefined, signal: AbortSignal): Promise<BucketIndex>;
  /** Downloads the listed objects (ETag-checked) and stores them as the artifact. */
  storeArtifact(bucket: Bucket, index: BucketIndex, signal: AbortSignal): Promise<Artifact>;
}
