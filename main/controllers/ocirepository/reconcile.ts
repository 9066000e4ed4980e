import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import { type OCIRepository, SourceCondition, SourceReason } from '../../flux/source.ts';
import type { SourceKind } from '../source/ports.ts';
import { reconcileSource, SourceFailure } from '../source/reconcile.ts';
import type { OCIInputs, OCIRepositoryPorts, ResolvedArtifact } from './ports.ts';

/**
 * The OCIRepository reconciler (flux-behaviour.md §1.8): the shared source reconcile (../source) with the registry's
 * resolve and pull. A new artifact is stored when the manifest digest, the layer selector or the ignore rules change.
 */
export function reconcileOCIRepository(
  repo: OCIRepository,
  ports: OCIRepositoryPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return reconcileSource(repo, ociKind(ports), ports, signal);
}

function ociKind(ports: OCIRepositoryPorts): SourceKind<OCIRepository, ResolvedArtifact, OCIInputs> {
  return {
    fetchFailedReason: SourceReason.OCIPullFailed,
    fetch: (repo, auth, signal) => ports.resolve(repo, auth, signal),
    inputs: (repo) => {
      // Verification Fluxdeck cannot do must not pass silently: the artifact is not used unverified.
      if (repo.spec.verify)
        throw new SourceFailure(
          SourceCondition.SourceVerified,
          SourceReason.VerificationError,
          `spec.verify (${repo.spec.verify.provider}) is not supported by Fluxdeck yet, so the artifact is not used; remove spec.verify to use it unverified, or let Flux in the cluster reconcile this object`,
        );
      return {
        ...(repo.spec.layerSelector && { layerSelector: repo.spec.layerSelector }),
        ...(repo.spec.ignore !== undefined && { ignore: repo.spec.ignore }),
      };
    },
    sameInputs: (_repo, s, inputs) =>
      (s.observedIgnore ?? undefined) === inputs.ignore &&
      JSON.stringify(s.observedLayerSelector ?? {}) === JSON.stringify(inputs.layerSelector ?? {}),
    store: (repo, resolved, inputs, signal) => ports.storeArtifact(repo, resolved, inputs, signal),
    observe: (_repo, s, inputs) => {
      s.observedIgnore = inputs.ignore;
      s.observedLayerSelector = inputs.layerSelector;
    },
  };
}
