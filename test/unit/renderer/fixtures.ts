/** Small builders for renderer tests: Flux objects with derived state, workloads, clusters. */
import { withState } from '../../../main/api/flux-state.ts';
import type { FluxObject, FluxObjectData, Workload } from '../../../main/contract/index.ts';

export function fluxObject(kind: string, name: string, extra: Partial<FluxObjectData> = {}): FluxObject {
  const group =
    kind === 'Kustomization'
      ? 'kustomize.toolkit.fluxcd.io'
      : kind === 'HelmRelease'
        ? 'helm.toolkit.fluxcd.io'
        : 'source.toolkit.fluxcd.io';
  return withState({
    uid: `${extra.cluster ?? 'prod'}-${kind}-${name}`,
    cluster: 'prod',
    group,
    version: 'v1',
    kind,
    namespace: 'flux-system',
    name,
    resourceVersion: '1',
    generation: 1,
    observedGeneration: 1,
    suspended: false,
    conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'ok' }],
    dependsOn: [],
    revision: {},
    ...extra,
  });
}

export function workload(
  name: string,
  health: Workload['health'] = 'Current',
  extra: Partial<Workload> = {},
): Workload {
  return {
    uid: `${extra.cluster ?? 'prod'}-w-${name}`,
    cluster: 'prod',
    group: 'apps',
    kind: 'Deployment',
    namespace: 'apps',
    name,
    resourceVersion: '1',
    health,
    message: health === 'Current' ? 'available' : 'not yet',
    ...extra,
  };
}

export const gitRef = (name: string) => ({
  group: 'source.toolkit.fluxcd.io',
  kind: 'GitRepository',
  namespace: 'flux-system',
  name,
});
export const deployRef = (name: string) => ({ group: 'apps', kind: 'Deployment', namespace: 'apps', name });

export function byUid<T extends { uid: string }>(...items: T[]): Record<string, T> {
  return Object.fromEntries(items.map((i) => [i.uid, i]));
}
