import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import { type Bucket, SourceReason } from '../../flux/source.ts';
import type { SourceKind } from '../source/ports.ts';
import { reconcileSource } from '../source/reconcile.ts';
import type { BucketIndex, BucketPorts } from './ports.ts';

/**
 * The Bucket reconciler (flux-behaviour.md §1.9): the shared source reconcile (../source) with the bucket's listing
 * as the fetch. The ignore rules are applied while listing, so they are part of the revision and need no other check.
 */
export function reconcileBucket(bucket: Bucket, ports: BucketPorts, signal: AbortSignal): Promise<ReconcileOutcome> {
  return reconcileSource(bucket, bucketKind(ports), ports, signal);
}

function bucketKind(ports: BucketPorts): SourceKind<Bucket, BucketIndex, { ignore?: string }> {
  return {
    fetchFailedReason: SourceReason.BucketOperationFailed,
    fetch: (bucket, auth, signal) => ports.index(bucket, auth, signal),
    inputs: (bucket) => (bucket.spec.ignore !== undefined ? { ignore: bucket.spec.ignore } : {}),
    sameInputs: (_bucket, s, inputs) => (s.observedIgnore ?? undefined) === inputs.ignore,
    store: (bucket, index, _inputs, signal) => ports.storeArtifact(bucket, index, signal),
    observe: (_bucket, s, inputs) => {
      s.observedIgnore = inputs.ignore;
    },
  };
}
