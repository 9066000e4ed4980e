import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import { type OCIRepository, SourceCondition, SourceReason } from '../../flux/source.ts';
import { cosignSignatureTag } from '../../registry/index.ts';
import { errorChain } from '../../util/errors.ts';
import type { SourceKind } from '../source/ports.ts';
import { reconcileSource, SourceFailure } from '../source/reconcile.ts';
import type { OCIInputs, OCIRepositoryPorts, ResolvedArtifact, SignatureCheck } from './ports.ts';

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
    verify: (repo, resolved, auth, signal) => verifyRevision({ repo, resolved, auth }, ports, signal),
    inputs: (repo) => {
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

const unverified = (message: string): SourceFailure =>
  new SourceFailure(SourceCondition.SourceVerified, SourceReason.VerificationError, message);

/**
 * `spec.verify` as source-controller does it with keys: every `*.pub` key of the Secret is tried, one verifying
 * signature suffices. What Fluxdeck cannot check (notation, keyless cosign) fails closed with a condition saying so:
 * an artifact is never used unverified when verification was asked for.
 */
async function verifyRevision(
  check: Omit<SignatureCheck, 'keys'>,
  ports: OCIRepositoryPorts,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { repo, resolved } = check;
  const v = repo.spec.verify;
  if (!v) return undefined;
  const provider = `failed to verify the signature using provider '${v.provider}'`;
  if (v.provider !== 'cosign')
    throw unverified(
      `${provider}: ${v.provider} is not supported by Fluxdeck yet, so the artifact is not used; verify with cosign keys, remove spec.verify, or let Flux in the cluster reconcile this object`,
    );
  if (!v.secretRef)
    throw unverified(
      `${provider}: keyless verification needs the public Sigstore services (Fulcio, Rekor), which Fluxdeck does not use, so the artifact is not used; give spec.verify.secretRef with the cosign public keys (*.pub), or let Flux in the cluster reconcile this object`,
    );
  const namespace = repo.metadata.namespace ?? '';
  const what = `failed to get secret '${namespace}/${v.secretRef.name}'`;
  const data = await ports.secret(namespace, v.secretRef.name, signal).catch((err: unknown) => {
    throw new SourceFailure(
      SourceCondition.SourceVerified,
      SourceReason.VerificationError,
      `${what}: ${errorChain(err)}`,
      {
        cause: err,
      },
    );
  });
  if (!data) throw unverified(`${what}: secrets "${v.secretRef.name}" not found`);
  const keys = Object.entries(data)
    .filter(([name]) => name.endsWith('.pub'))
    .map(([name, pem]) => ({ name, pem }));
  if (keys.length === 0)
    throw unverified(`${provider}: secret '${namespace}/${v.secretRef.name}' has no public key (*.pub)`);
  const verdict = await ports.verifyCosign({ ...check, keys }, signal);
  if (verdict.verified) return `verified signature of revision ${resolved.revision}`;
  const ref = `${repo.spec.url.replace(/^oci:\/\//, '')}@${resolved.digest}`;
  throw unverified(
    `${provider}: no matching signatures were found for '${ref}'` +
      (verdict.why === 'unsigned'
        ? ` (there is no signature tag ${cosignSignatureTag(resolved.digest)}; Fluxdeck reads cosign signatures made with a key, not cosign v3 bundles)`
        : ''),
  );
}
