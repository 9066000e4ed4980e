import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import { FLUX_FINALIZER } from '../../flux/meta.ts';
import { HELM_REPOSITORY_DEFAULT_INTERVAL, type HelmRepository, SourceReason } from '../../flux/source.ts';
import type { SourceKind } from '../source/ports.ts';
import { reconcileSource } from '../source/reconcile.ts';
import type { FetchedIndex, HelmRepositoryPorts, IndexRepository } from './ports.ts';

/**
 * The HelmRepository reconciler (flux-behaviour.md §1.6). The default type is the shared source reconcile over the
 * repository index: a new artifact only when the index bytes changed (revision `sha256:<digest>`). `type: oci` is a
 * static object in source-controller v1: nothing is fetched (the HelmChart pulls from the registry), and an object
 * that still carries status or the finalizer from an older version is migrated to an empty status, as Flux does.
 */
export function reconcileHelmRepository(
  repo: IndexRepository,
  ports: HelmRepositoryPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  if (repo.spec.type === 'oci') return reconcileStatic(repo, ports);
  return reconcileSource(repo, indexKind(ports), ports, signal);
}

/** The repository with `spec.interval` defaulted to 1m, as Flux's `GetRequeueAfter`. */
export function withDefaultInterval(repo: HelmRepository): IndexRepository {
  return { ...repo, spec: { ...repo.spec, interval: repo.spec.interval ?? HELM_REPOSITORY_DEFAULT_INTERVAL } };
}

async function reconcileStatic(repo: IndexRepository, ports: HelmRepositoryPorts): Promise<ReconcileOutcome> {
  const hasStatus = repo.status?.artifact !== undefined || (repo.status?.conditions?.length ?? 0) > 0;
  if ((repo.metadata.finalizers ?? []).includes(FLUX_FINALIZER) || hasStatus) await ports.resetStatic(repo);
  return {};
}

function indexKind(ports: HelmRepositoryPorts): SourceKind<IndexRepository, FetchedIndex, null> {
  return {
    fetchFailedReason: SourceReason.IndexationFailed,
    fetch: (repo, auth, signal) => ports.fetchIndex(repo, auth, signal),
    inputs: () => null,
    sameInputs: () => true,
    store: (repo, fetched, _inputs, signal) => ports.storeIndex(repo, fetched, signal),
    observe: () => undefined,
  };
}
