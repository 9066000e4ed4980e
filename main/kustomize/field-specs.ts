/**
 * Field specs: kustomize's way to say "this path in objects of this kind". The tables are kustomize's built-in
 * configuration (api/internal/konfig/builtinpluginconsts); `visitPath` walks a path the way kustomize does, stepping
 * into every element of a sequence it meets.
 */
import { groupOf, type KubeObject } from '../util/kube-object.ts';
import { isMapValue, versionOf } from './resource.ts';

export interface FieldSpec {
  group?: string;
  version?: string;
  kind?: string;
  path: string;
  create?: boolean;
}

export interface GvkSelector {
  group?: string;
  version?: string;
  kind?: string;
}

export function gvkMatches(obj: KubeObject, sel: GvkSelector): boolean {
  if (sel.kind && sel.kind !== obj.kind) return false;
  if (sel.group !== undefined && sel.group !== '' && sel.group !== groupOf(obj.apiVersion)) return false;
  if (sel.version && sel.version !== versionOf(obj.apiVersion)) return false;
  return true;
}

/** Splits `a/b\/c/d[]` into segments, honouring escaped slashes. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charAt(i);
    if (c === '\\' && path.charAt(i + 1) === '/') {
      cur += '/';
      i++;
    } else if (c === '/') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((s) => s !== '');
}

/**
 * Calls `fn(parent, key)` for every place the path reaches. Missing maps along the way are created when `create`
 * is set (and the leaf is reported even when absent); otherwise paths that stop early are skipped.
 */
export function visitPath(
  root: Record<string, unknown>,
  segments: readonly string[],
  create: boolean,
  fn: (parent: Record<string, unknown>, key: string) => void,
): void {
  const walk = (node: unknown, i: number): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, i);
      return;
    }
    if (!isMapValue(node)) return;
    const raw = segments[i];
    if (raw === undefined) return;
    const isSeq = raw.endsWith('[]');
    const key = isSeq ? raw.slice(0, -2) : raw;
    if (i === segments.length - 1) {
      if (key in node || create) fn(node, key);
      return;
    }
    let next = node[key];
    if (next === undefined || next === null) {
      if (!create || isSeq) return;
      next = {};
      node[key] = next;
    }
    walk(next, i + 1);
  };
  walk(root, 0);
}

const splitCache = new Map<string, string[]>();

function segmentsOf(path: string): string[] {
  let s = splitCache.get(path);
  if (!s) {
    s = splitPath(path);
    splitCache.set(path, s);
  }
  return s;
}

export function applyFieldSpecs(
  obj: KubeObject,
  specs: readonly FieldSpec[],
  fn: (parent: Record<string, unknown>, key: string, spec: FieldSpec) => void,
): void {
  for (const spec of specs) {
    if (!gvkMatches(obj, spec)) continue;
    visitPath(obj, segmentsOf(spec.path), spec.create === true, (p, k) => fn(p, k, spec));
  }
}

const fs = (path: string, kind?: string, create = false, group?: string, version?: string): FieldSpec => ({
  path,
  kind,
  create,
  group,
  version,
});

/** Where labels go on object metadata and pod templates (metadataLabelsFieldSpecs). */
export const TEMPLATE_LABEL_SPECS: FieldSpec[] = [
  fs('spec/template/metadata/labels', 'ReplicationController', true, undefined, 'v1'),
  fs('spec/template/metadata/labels', 'Deployment', true),
  fs('spec/template/metadata/labels', 'ReplicaSet', true),
  fs('spec/template/metadata/labels', 'DaemonSet', true),
  fs('spec/template/metadata/labels', 'StatefulSet', true, 'apps'),
  fs('spec/volumeClaimTemplates[]/metadata/labels', 'StatefulSet', true, 'apps'),
  fs('spec/template/metadata/labels', 'Job', true, 'batch'),
  fs('spec/jobTemplate/metadata/labels', 'CronJob', true, 'batch'),
  fs('spec/jobTemplate/spec/template/metadata/labels', 'CronJob', true, 'batch'),
];

const AFFINITY = [
  'spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels',
];

/** Where `commonLabels` (and `labels` with includeSelectors) also go: selectors (commonLabelFieldSpecs). */
export const SELECTOR_LABEL_SPECS: FieldSpec[] = [
  fs('spec/selector', 'Service', true, undefined, 'v1'),
  fs('spec/selector', 'ReplicationController', true, undefined, 'v1'),
  fs('spec/selector/matchLabels', 'Deployment', true),
  ...AFFINITY.map((p) => fs(p, 'Deployment', false, 'apps')),
  fs('spec/selector/matchLabels', 'ReplicaSet', true),
  fs('spec/selector/matchLabels', 'DaemonSet', true),
  fs('spec/selector/matchLabels', 'StatefulSet', true, 'apps'),
  ...AFFINITY.map((p) => fs(p, 'StatefulSet', false, 'apps')),
  fs('spec/selector/matchLabels', 'Job', false, 'batch'),
  fs('spec/jobTemplate/spec/selector/matchLabels', 'CronJob', false, 'batch'),
  fs('spec/selector/matchLabels', 'PodDisruptionBudget', false, 'policy'),
  fs('spec/podSelector/matchLabels', 'NetworkPolicy', false, 'networking.k8s.io'),
  fs('spec/ingress/from/podSelector/matchLabels', 'NetworkPolicy', false, 'networking.k8s.io'),
  fs('spec/egress/to/podSelector/matchLabels', 'NetworkPolicy', false, 'networking.k8s.io'),
];

export const METADATA_LABELS: FieldSpec = fs('metadata/labels', undefined, true);

/** Where `commonAnnotations` go (commonAnnotationsFieldSpecs). */
export const ANNOTATION_SPECS: FieldSpec[] = [
  fs('metadata/annotations', undefined, true),
  ...TEMPLATE_LABEL_SPECS.filter((s) => !s.path.includes('volumeClaimTemplates')).map((s) => ({
    ...s,
    path: s.path.replace(/labels$/, 'annotations'),
  })),
];

export const REPLICA_SPECS: FieldSpec[] = ['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet'].map(
  (k) => fs('spec/replicas', k, true),
);

/**
 * Where `namespace` goes (namespaceFieldSpecs). metadata/namespace (namespaced kinds only), a core Namespace's name
 * and RoleBinding subjects have their own rules (setNamespace); kustomize creates spec/service/namespace on an
 * APIService, but an APIService without spec/service is left alone here as kubectl leaves it.
 */
export const NAMESPACE_SPECS: FieldSpec[] = [
  fs('metadata/namespace', undefined, true),
  fs('metadata/name', 'Namespace', true),
  fs('subjects', 'RoleBinding'),
  fs('subjects', 'ClusterRoleBinding'),
  fs('spec/service/namespace', 'APIService', false, 'apiregistration.k8s.io'),
  fs(
    'spec/conversion/webhook/clientConfig/service/namespace',
    'CustomResourceDefinition',
    false,
    'apiextensions.k8s.io',
  ),
];

/** Kinds whose names namePrefix/nameSuffix leave alone. */
export const PREFIX_SKIP: GvkSelector[] = [
  { kind: 'CustomResourceDefinition' },
  { group: 'apiregistration.k8s.io', kind: 'APIService' },
  { kind: 'Namespace' },
];
