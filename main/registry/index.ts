/**
 * main/registry: a client for OCI distribution registries, used by OCI sources, Helm OCI charts and image scanning.
 * Depends only on main/util.
 */
export {
  type BlobOptions,
  type FetchedManifest,
  MAX_MANIFEST_BYTES,
  nextLink,
  RegistryClient,
  type RegistryClientOptions,
} from './client.ts';
export {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIMPLE_SIGNING,
  type CosignKey,
  cosignSignatureTag,
  type CosignVerdict,
  loadCosignKey,
  verifyCosignSignatures,
  verifySimpleSigning,
} from './cosign.ts';
export {
  basicHeader,
  type Challenge,
  type Credentials,
  credentialsFromDockerConfig,
  parseChallenge,
} from './credentials.ts';
export { algorithmOf, DigestVerifier, hashOf } from './digest-stream.ts';
export { RegistryError, type RegistryErrorCode } from './errors.ts';
export {
  contentLayer,
  FLUX_CONFIG_BYTES,
  FLUX_CONFIG_MEDIA_TYPE,
  FLUX_CONTENT_MEDIA_TYPE,
  FluxAnnotation,
  fluxArtifactManifest,
  type FluxArtifactMeta,
  fluxArtifactMeta,
} from './flux-artifact.ts';
export {
  type Descriptor,
  hostPlatform,
  type ImageIndex,
  type ImageManifest,
  type Manifest,
  MANIFEST_ACCEPT,
  MediaType,
  parseManifest,
  type Platform,
  selectPlatform,
} from './manifest.ts';
export { apiHost, DOCKER_HUB, formatReference, isDigest, isTag, parseReference, type Reference } from './reference.ts';
export { type TlsOptions, type TransportOptions } from './transport.ts';
