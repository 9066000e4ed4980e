import type { ClusterSession } from '../engine/cluster-session.ts';
import type { ResourceType } from '../engine/controller-manager.ts';
import { fluxKinds } from '../flux/kinds.ts';

const typeOf = (k: { apiVersion: string; kind: string }): ResourceType => ({ apiVersion: k.apiVersion, kind: k.kind });

/** The Flux kinds every session watches: a cluster that does not serve them has no Flux CRDs. */
export const REQUIRED_KINDS: readonly ResourceType[] = [fluxKinds.GitRepository, fluxKinds.Kustomization].map(typeOf);

/**
 * Kinds watched (and reconciled) only where the cluster serves them at the version Fluxdeck uses: a cluster with an
 * older Flux (OCIRepository before v1, say) keeps working with the kinds it has.
 */
export const OPTIONAL_KINDS: readonly ResourceType[] = [
  fluxKinds.OCIRepository,
  fluxKinds.Bucket,
  fluxKinds.HelmRepository,
  fluxKinds.HelmChart,
  fluxKinds.HelmRelease,
  fluxKinds.ImageRepository,
  fluxKinds.ImagePolicy,
  fluxKinds.ImageUpdateAutomation,
].map(typeOf);

const sameType = (a: ResourceType, b: ResourceType): boolean => a.apiVersion === b.apiVersion && a.kind === b.kind;

/**
 * notification.toolkit.fluxcd.io kinds reconciled where served: cached for their controllers and the receiver
 * server, but not part of the graph's Flux objects (watchedFluxTypes).
 */
export const NOTIFICATION_KINDS: readonly ResourceType[] = [fluxKinds.Receiver].map(typeOf);

/** Whether this session caches (and so may reconcile) a notification kind. */
export function cachesKind(session: Pick<ClusterSession, 'cachedTypes'>, type: ResourceType): boolean {
  return session.cachedTypes().some((c) => sameType(c, type));
}

/** The Flux kinds this session watches (the required ones and the optional ones its cluster serves). */
export function watchedFluxTypes(session: Pick<ClusterSession, 'cachedTypes'>): ResourceType[] {
  const cached = session.cachedTypes();
  return [...REQUIRED_KINDS, ...OPTIONAL_KINDS].filter((t) => cached.some((c) => sameType(c, t)));
}

/** The artifact sources a Kustomization may reference, as watched in this session. */
export function watchedSourceTypes(session: Pick<ClusterSession, 'cachedTypes'>): ResourceType[] {
  const sources = new Set(['GitRepository', 'OCIRepository', 'Bucket']);
  return watchedFluxTypes(session).filter((t) => sources.has(t.kind));
}
