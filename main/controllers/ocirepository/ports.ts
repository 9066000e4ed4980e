import type { Artifact, OCILayerSelector, OCIRepository } from '../../flux/source.ts';
import type { CosignKey, CosignVerdict } from '../../registry/index.ts';
import type { Fetched, SourcePorts } from '../source/ports.ts';

/**
 * What the OCIRepository reconciler needs from the world, beyond every source's ports. controller.ts wires these to
 * main/registry (resolving and pulling) and main/sources (the artifact store).
 */

/** `spec.ref` resolved against the registry. */
export interface ResolvedArtifact extends Fetched {
  /** `<tag>@sha256:<manifest digest>`, or `sha256:<digest>` for a digest ref (Flux's revision). */
  revision: string;
  /** The manifest's digest. */
  digest: string;
  /** Opaque handle (the manifest) passed back to `storeArtifact`. */
  manifest: unknown;
}

/** What the artifact is built from besides the manifest: the layer to take and the ignore rules. */
export interface OCIInputs {
  layerSelector?: OCILayerSelector;
  ignore?: string;
}

/** A resolved manifest whose signatures are to be checked, with the registry credentials and the trusted keys. */
export interface SignatureCheck {
  repo: OCIRepository;
  resolved: ResolvedArtifact;
  /** The decoded `secretRef`. */
  auth: Record<string, string> | undefined;
  keys: readonly CosignKey[];
}

export interface OCIRepositoryPorts extends SourcePorts<OCIRepository> {
  /**
   * Resolves `spec.ref` (digest, then semver over the listed tags, then tag, default `latest`). `auth` is the decoded
   * `secretRef` (a `kubernetes.io/dockerconfigjson` Secret). Errors may carry a Flux `reason` as a property.
   */
  resolve(
    repo: OCIRepository,
    auth: Record<string, string> | undefined,
    signal: AbortSignal,
  ): Promise<ResolvedArtifact>;
  /** Looks up the cosign signatures of the resolved manifest and checks them against the public keys. */
  verifyCosign(check: SignatureCheck, signal: AbortSignal): Promise<CosignVerdict>;
  /** Pulls the selected layer (digest-verified), extracts or copies it, applies the ignore rules and stores it. */
  storeArtifact(
    repo: OCIRepository,
    resolved: ResolvedArtifact,
    inputs: OCIInputs,
    signal: AbortSignal,
  ): Promise<Artifact>;
}
