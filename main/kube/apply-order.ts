import { groupOf, type KubeObject, type ObjectRef, refOf } from '../util/kube-object.ts';

/**
 * The order Flux applies objects in (fluxcd/pkg `ssa/sort.go` ReconcileOrder) and the stages kustomize-controller
 * splits a batch into: cluster definitions, then classes, then everything else.
 */
export const RECONCILE_ORDER = {
  first: [
    'CustomResourceDefinition',
    'Namespace',
    'ClusterClass',
    'RuntimeClass',
    'PriorityClass',
    'StorageClass',
    'VolumeSnapshotClass',
    'IngressClass',
    'GatewayClass',
    'ResourceQuota',
    'ServiceAccount',
    'Role',
    'ClusterRole',
    'RoleBinding',
    'ClusterRoleBinding',
    'ConfigMap',
    'Secret',
    'Service',
    'LimitRange',
    'Deployment',
    'StatefulSet',
    'CronJob',
    'PodDisruptionBudget',
  ],
  last: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
} as const;

const KIND_INDEX = new Map<string, number>([
  ...RECONCILE_ORDER.first.map((k, i): [string, number] => [k, -RECONCILE_ORDER.first.length + i]),
  ...RECONCILE_ORDER.last.map((k, i): [string, number] => [k, 1 + i]),
]);

/** Flux's `less`: kind rank (known first kinds, unknown kinds, webhooks last), then group, kind, namespace, name. */
export function compareRefs(a: ObjectRef, b: ObjectRef): number {
  if (a.group !== b.group || a.kind !== b.kind) {
    const ia = KIND_INDEX.get(a.kind) ?? 0;
    const ib = KIND_INDEX.get(b.kind) ?? 0;
    if (ia !== ib) return ia - ib;
    if (a.group !== b.group) return a.group < b.group ? -1 : 1;
    return a.kind < b.kind ? -1 : 1;
  }
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}

/** A sorted copy, in apply order. */
export function sortForApply<T extends KubeObject>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) => compareRefs(refOf(a), refOf(b)));
}

/** A sorted copy, in prune order (the reverse: webhooks first, namespaces and CRDs last). */
export function sortForDelete<T extends ObjectRef>(refs: readonly T[]): T[] {
  return [...refs].sort((a, b) => compareRefs(b, a));
}

export function isCrd(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return obj.kind.toLowerCase() === 'customresourcedefinition' && obj.apiVersion.startsWith('apiextensions.k8s.io/');
}

/** CRDs, Namespaces and ClusterRoles: applied first and waited for, so later objects can use them. */
export function isClusterDefinition(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  const kind = obj.kind.toLowerCase();
  return (
    isCrd(obj) ||
    (kind === 'namespace' && obj.apiVersion === 'v1') ||
    (kind === 'clusterrole' && groupOf(obj.apiVersion) === 'rbac.authorization.k8s.io')
  );
}

/** StorageClass, IngressClass, GatewayClass... (any kind ending in `Class`). */
export function isClassDefinition(obj: Pick<KubeObject, 'kind'>): boolean {
  return obj.kind.endsWith('Class');
}

export interface Stage<T> {
  name: 'definitions' | 'classes' | 'resources';
  objects: T[];
  /** Wait until the stage's objects are ready before applying the next stage. */
  wait: boolean;
}

/** Splits a batch into kustomize-controller's three stages; empty stages are left out. */
export function stagesOf<T>(items: readonly T[], objectOf: (item: T) => KubeObject): Stage<T>[] {
  const definitions: T[] = [];
  const classes: T[] = [];
  const resources: T[] = [];
  for (const item of items) {
    const o = objectOf(item);
    if (isClusterDefinition(o)) definitions.push(item);
    else if (isClassDefinition(o)) classes.push(item);
    else resources.push(item);
  }
  const stages: Stage<T>[] = [
    { name: 'definitions', objects: definitions, wait: true },
    { name: 'classes', objects: classes, wait: true },
    { name: 'resources', objects: resources, wait: false },
  ];
  return stages.filter((s) => s.objects.length > 0);
}
