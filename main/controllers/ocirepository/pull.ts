/**
 * Pulling an OCIRepository's artifact: the manifest by digest, the selected layer (digest-verified while it streams),
 * then extracted or copied into the artifact store. Shared by the controller and `npm run bench -- oci`, so the
 * benchmark measures exactly what a reconcile does.
 */
import type { Artifact, OCIRepository } from '../../flux/source.ts';
import { SourceReason } from '../../flux/source.ts';
import {
  type CosignVerdict,
  type Descriptor,
  FLUX_CONTENT_MEDIA_TYPE,
  type Manifest,
  RegistryError,
  verifyCosignSignatures,
} from '../../registry/index.ts';
import type { ArtifactOwner } from '../../sources/artifacts/artifact.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { storeLayerArtifact } from '../../sources/oci/layer-artifact.ts';
import type { OCIInputs, ResolvedArtifact, SignatureCheck } from './ports.ts';
import { clientFor, MAX_LAYER_BYTES, OciFailure, resolveRef } from './resolve.ts';

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

/** `spec.ref` resolved against the registry: one manifest HEAD for a tag or digest (what a no-op reconcile costs). */
export async function resolveOciArtifact(
  r: OCIRepository,
  auth: Record<string, string> | undefined,
  signal: AbortSignal,
): Promise<ResolvedArtifact> {
  const { client: registry, ref } = clientFor(r, auth, signal);
  try {
    return await resolveRef(registry, ref.repository, r);
  } catch (err) {
    throw pullFailure(err, `failed to resolve ${r.spec.url}`);
  } finally {
    registry.close();
  }
}

/** The cosign signatures of the resolved manifest, checked with the public keys (`spec.verify.secretRef`). */
export async function verifyOciSignature(check: SignatureCheck, signal: AbortSignal): Promise<CosignVerdict> {
  const { repo: r, resolved, keys } = check;
  const { client: registry, ref } = clientFor(r, check.auth, signal);
  try {
    return await verifyCosignSignatures(registry, ref.repository, resolved.digest, keys);
  } catch (err) {
    throw pullFailure(err, `failed to read the signatures of ${r.spec.url}@${resolved.digest}`);
  } finally {
    registry.close();
  }
}

export interface OciPull {
  repo: OCIRepository;
  owner: ArtifactOwner;
  resolved: ResolvedArtifact;
  inputs: OCIInputs;
  /** The decoded `secretRef`. */
  secret: Record<string, string> | undefined;
  signal: AbortSignal;
}

export async function pullOciArtifact(store: ArtifactStore, pull: OciPull): Promise<Artifact> {
  const { repo: r, resolved, inputs, signal } = pull;
  const { client: registry, ref } = clientFor(r, pull.secret, signal);
  try {
    const { manifest } = await registry.manifest(ref.repository, resolved.digest);
    const layer = selectLayer(manifest, inputs.layerSelector?.mediaType, `${r.spec.url}@${resolved.digest}`);
    const operation = inputs.layerSelector?.operation ?? 'extract';
    if (operation === 'extract' && layer.mediaType !== FLUX_CONTENT_MEDIA_TYPE && !layer.mediaType.includes('gzip'))
      throw new OciFailure(
        SourceReason.OCILayerOperationFailed,
        `layer ${layer.mediaType} is not a gzip tarball to extract; set spec.layerSelector.operation: copy`,
      );
    const stream = await registry.blob(ref.repository, layer, { maxBytes: MAX_LAYER_BYTES });
    return await storeLayerArtifact(store, {
      owner: pull.owner,
      layer: stream as AsyncIterable<Buffer>,
      layerDigest: layer.digest,
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
}
