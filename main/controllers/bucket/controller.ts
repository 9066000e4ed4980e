import { dirname, join } from 'node:path';

import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { Controller, ResourceType } from '../../engine/controller-manager.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { type Bucket, sourceTimeoutMs } from '../../flux/source.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { type BucketListing, type BucketLocation, BucketSource } from '../../sources/bucket/bucket-source.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { sourcePorts } from '../source/source-ports.ts';
import { checkSupported, keysOf, locationOf, tlsOf } from './location.ts';
import type { BucketIndex, BucketPorts } from './ports.ts';
import { reconcileBucket } from './reconcile.ts';

const BUCKET: ResourceType = { apiVersion: fluxKinds.Bucket.apiVersion, kind: 'Bucket' };

export interface BucketControllerDeps {
  session: ClusterSession;
  store: ArtifactStore;
  events: FluxEventSink;
  concurrency?: number;
  /** Largest object a Bucket may hold (bytes); main/sources/bucket's default otherwise. */
  maxObjectBytes?: number;
}

/** What `index` hands to `storeArtifact`: the listing and where it came from (keys included, never logged). */
interface Listed {
  listing: BucketListing;
  location: BucketLocation;
}

/** The engine controller for Buckets. */
export function bucketController(deps: BucketControllerDeps): Controller {
  // The object cache sits beside the artifact store in the data directory (`<data>/cache/bucket`).
  const buckets = new BucketSource({
    cacheDir: join(dirname(deps.store.root), 'cache', 'bucket'),
    store: deps.store,
    ...(deps.maxObjectBytes !== undefined && { maxObjectBytes: deps.maxObjectBytes }),
  });
  return {
    type: BUCKET,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) => reconcileBucket(obj as Bucket, bucketPorts(obj as Bucket, deps, buckets), req.signal),
  };
}

export function bucketPorts(bucket: Bucket, deps: BucketControllerDeps, buckets: BucketSource): BucketPorts {
  const base = sourcePorts(bucket, deps);
  const { owner } = base;
  const timeout = (signal: AbortSignal): AbortSignal =>
    AbortSignal.any([signal, AbortSignal.timeout(sourceTimeoutMs(bucket))]);
  return {
    ...base,
    deleteArtifacts: async (o) => {
      await base.deleteArtifacts(o);
      await buckets.forget(owner);
    },
    index: async (b, auth, signal): Promise<BucketIndex> => {
      checkSupported(b);
      const certRef = b.spec.certSecretRef;
      const certSecret = certRef ? await base.secret(owner.namespace, certRef.name, signal) : undefined;
      const location = locationOf(b, keysOf(b, auth), tlsOf(b, certSecret));
      const listing = await buckets.index(
        location,
        {
          ...(b.spec.prefix && { prefix: b.spec.prefix }),
          ...(b.spec.ignore !== undefined && { ignore: b.spec.ignore }),
        },
        timeout(signal),
      );
      const objects: Listed = { listing, location };
      return { revision: listing.revision, describe: `revision '${listing.revision}'`, objects };
    },
    storeArtifact: async (_b, index, signal) => {
      const { listing, location } = index.objects as Listed;
      const stored = await buckets.storeArtifact(owner, location, listing, timeout(signal));
      deps.session.logger.info('bucket fetched', {
        bucket: `${owner.namespace}/${owner.name}`,
        objects: listing.objects.size,
        downloaded: stored.downloaded,
        reused: stored.reused,
      });
      return stored.artifact;
    },
  };
}
