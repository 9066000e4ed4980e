/** Graph node ids and the keys actions take, derived from an object's identity. */
import type { FluxGroups, FluxKey, FluxKind, ObjectKey } from '../../main/contract/index.ts';

export interface Identity {
  cluster: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** `cluster|group|kind|namespace|name`: inventory refs map onto it before the object itself is known. */
export function nodeIdOf(o: Identity): string {
  return `${o.cluster}|${o.group}|${o.kind}|${o.namespace}|${o.name}`;
}

export function identityOf(nodeId: string): Identity | undefined {
  const parts = nodeId.split('|');
  if (parts.length < 5) return undefined;
  // A context name may itself contain '|': everything before the last four fields is the cluster.
  const [group, kind, namespace, name] = parts.slice(-4) as [string, string, string, string];
  return { cluster: parts.slice(0, -4).join('|'), group, kind, namespace, name };
}

export function objectKeyOf(o: Identity): ObjectKey {
  return { cluster: o.cluster, group: o.group, kind: o.kind, namespace: o.namespace, name: o.name };
}

/**
 * The API group of each Flux kind. The renderer may import only types from the contract, so the table is repeated
 * here, typed as the contract's `FluxGroups`: a kind or group that differs from main/contract/model.ts fails to compile.
 */
export const FLUX_KIND_GROUPS: FluxGroups = {
  GitRepository: 'source.toolkit.fluxcd.io',
  OCIRepository: 'source.toolkit.fluxcd.io',
  HelmRepository: 'source.toolkit.fluxcd.io',
  HelmChart: 'source.toolkit.fluxcd.io',
  Bucket: 'source.toolkit.fluxcd.io',
  Kustomization: 'kustomize.toolkit.fluxcd.io',
  HelmRelease: 'helm.toolkit.fluxcd.io',
  ImageRepository: 'image.toolkit.fluxcd.io',
  ImagePolicy: 'image.toolkit.fluxcd.io',
  ImageUpdateAutomation: 'image.toolkit.fluxcd.io',
  Receiver: 'notification.toolkit.fluxcd.io',
  Alert: 'notification.toolkit.fluxcd.io',
  Provider: 'notification.toolkit.fluxcd.io',
};

export function isFluxGroup(group: string): boolean {
  return group.endsWith('.toolkit.fluxcd.io');
}

function isFluxKind(kind: string): kind is FluxKind {
  return Object.hasOwn(FLUX_KIND_GROUPS, kind);
}

export function fluxKeyOf(o: Identity): FluxKey | undefined {
  if (!isFluxKind(o.kind) || FLUX_KIND_GROUPS[o.kind] !== o.group || o.namespace === '') return undefined;
  return { cluster: o.cluster, kind: o.kind, namespace: o.namespace, name: o.name };
}

export function nodeIdOfKey(key: FluxKey): string {
  return nodeIdOf({ ...key, group: FLUX_KIND_GROUPS[key.kind] });
}
