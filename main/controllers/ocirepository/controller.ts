import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { Controller, ResourceType } from '../../engine/controller-manager.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { type OCIRepository, SourceReason, sourceTimeoutMs } from '../../flux/source.ts';
import { secretData } from '../../kube/secrets.ts';
import { type Descriptor, FLUX_CONTENT_MEDIA_TYPE, type Manifest, RegistryError } from '../../registry/index.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { storeLayerArtifact } from '../../sources/oci/layer-artifact.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { sourcePorts } from '../source/source-ports.ts';
import type { OCIRepositoryPorts } from './ports.ts';
import { reconcileOCIRepository } from './reconcile.ts';
import { clientFor, MAX_LAYER_BYTES, OciFailure, resolveRef } from './resolve.ts';

const OCI: ResourceType = { apiVersion: fluxKinds.OCIRepository.apiVersion, kind: 'OCIRepository' };

export interface OCIRepositoryControllerDeps {
  session: ClusterSession;
  store: ArtifactStore;
  events: FluxEventSink;
  concurrency?: number;
}

/** The engine controller for OCIRepositories. */
export function ociRepositoryController(deps: OCIRepositoryControllerDeps): Controller {
  return {
    type: OCI,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) =>
      reconcileOCIRepository(obj as OCIRepository, ociRepositoryPorts(obj as OCIRepository, deps), req.signal),
  };
}

/** A registry failure with the Flux reason and a message that says what to do. */
function pullFailure(err: unknown, what: string): Error {
  if (!(err instanceof RegistryError)) return err as Error;
  const reason =
    err.code === 'unauthorized' || err.code === 'denied'
      ? SourceReason.AuthenticationFailed
      : SourceReason.OCIPullFailed;
  return new OciFailure(reason, `${what}: ${err.message}`, { cause: err });
}

/** The layer `spec.layerSelector.mediaType` names, else the first one (Flux's rule). */
function selectLayer(manifest: Manifest, mediaType: string | undefined, what: string): Descriptor {
  if (manifest.kind !== 'manifest')
    throw new OciFailure(SourceReason.OCIPullFailed, `${what} is an index, not an artifact`);
  const layer = mediaType ? manifest.layers.find((l) => l.mediaType === mediaType) : manifest.layers[0];
  if (layer) return layer;
  const has = manifest.layers.map((l) => l.mediaType).join(', ') || 'none';
  throw new OciFailure(
    SourceReason.OCILayerOperationFailed,
    mediaType
      ? `the artifact has no layer of media type '${mediaType}' (it has: ${has})`
      : 'the artifact has no layers',
  );
}

export function ociRepositoryPorts(repo: OCIRepository, deps: OCIRepositoryControllerDeps): OCIRepositoryPorts {
  const { session, store } = deps;
  const client = session.client;
  const base = sourcePorts(repo, deps);
  const { owner } = base;
  const timeout = (signal: AbortSignal): AbortSignal =>
    AbortSignal.any([signal, AbortSignal.timeout(sourceTimeoutMs(repo))]);
  return {
    ...base,
    resolve: async (r, auth, signal) => {
      const { client: registry, ref } = clientFor(r, auth, timeout(signal));
      try {
        return await resolveRef(registry, ref.repository, r);
      } catch (err) {
        throw pullFailure(err, `failed to resolve ${r.spec.url}`);
      } finally {
        registry.close();
      }
    },
    storeArtifact: async (r, resolved, inputs, signal) => {
      const secret = r.spec.secretRef
        ? await secretData(client, owner.namespace, r.spec.secretRef.name, signal)
        : undefined;
      const { client: registry, ref } = clientFor(r, secret, timeout(signal));
      try {
        const { manifest } = await registry.manifest(ref.repository, resolved.digest);
        const layer = selectLayer(manifest, inputs.layerSelector?.mediaType, `${r.spec.url}@${resolved.digest}`);
        const bytes = await registry.blobBytes(ref.repository, layer, { maxBytes: MAX_LAYER_BYTES });
        const operation = inputs.layerSelector?.operation ?? 'extract';
        if (operation === 'extract' && layer.mediaType !== FLUX_CONTENT_MEDIA_TYPE && !layer.mediaType.includes('gzip'))
          throw new OciFailure(
            SourceReason.OCILayerOperationFailed,
            `layer ${layer.mediaType} is not a gzip tarball to extract; set spec.layerSelector.operation: copy`,
          );
        return await storeLayerArtifact(store, {
          owner,
          layer: bytes,
          digest: resolved.digest,
          revision: resolved.revision,
          operation,
          ...(inputs.ignore !== undefined && { ignore: inputs.ignore }),
          signal,
        });
      } catch (err) {
        throw pullFailure(err, `failed to pull ${r.spec.url}@${resolved.digest}`);
      } finally {
        registry.close();
      }
    },
  };
}
