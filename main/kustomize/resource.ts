/**
 * A resource while it is being built: the object plus what kustomize remembers about it (earlier names for name
 * references, generator behaviour, whether it gets a hash suffix). Only `obj` reaches the output.
 */
import { groupOf, type KubeObject } from '../util/kube-object.ts';

/**
 * One earlier identity of a resource: kustomize's previous ResId (build annotations `config.kubernetes.io/
 * previousKinds`, `previousNames`, `previousNamespaces`). The group and version are always the current ones, as in
 * kustomize.
 */
export interface PrevId {
  kind: string;
  name: string;
  namespace: string;
}

export interface Res {
  obj: KubeObject;
  /** Every kind, name and namespace this resource had before the current one, oldest first. */
  history: PrevId[];
  /** Prefixes and suffixes applied so far, innermost first (used to pick among same-named referral targets). */
  prefixes: string[];
  suffixes: string[];
  needsHash: boolean;
  behavior?: 'create' | 'merge' | 'replace';
  /** The file it came from, for messages. */
  source: string;
  /** The build-filesystem path of the file it was read from (unset for generated resources). */
  sourcePath?: string;
  /** buildMetadata: the origin annotation's text, and one entry per transformer that ran over it. */
  origin?: string;
  transformations?: string[];
  /** Names of the vars bound to this resource (kustomize's refVarNames). */
  refVars?: string[];
  /** The input had no apiVersion (the engine works with '' and leaves it out of the output). */
  apiVersionMissing?: boolean;
  /**
   * The input's apiVersion when it was a number or boolean (`apiVersion: 1`): kyaml reads its text as the version and
   * prints the scalar back as it was, so the engine works with the text and outputs this value.
   */
  apiVersionScalar?: number | boolean;
  /** The input's metadata.name when it was a number (`name: 404`), printed back as a number (see apiVersionScalar). */
  nameScalar?: number;
}

/**
 * Kinds kustomize treats as cluster-scoped: it never gives them a namespace. The list is its built-in OpenAPI
 * schema's, so kinds newer than that schema (ValidatingAdmissionPolicy and its binding) count as namespaced.
 */
const CLUSTER_SCOPED = new Map<string, readonly string[]>([
  ['APIService', ['apiregistration.k8s.io']],
  ['CSIDriver', ['storage.k8s.io']],
  ['CSINode', ['storage.k8s.io']],
  ['CertificateSigningRequest', ['certificates.k8s.io']],
  ['ClusterRole', ['rbac.authorization.k8s.io']],
  ['ClusterRoleBinding', ['rbac.authorization.k8s.io']],
  ['ComponentStatus', ['']],
  ['CustomResourceDefinition', ['apiextensions.k8s.io']],
  ['FlowSchema', ['flowcontrol.apiserver.k8s.io']],
  ['IngressClass', ['networking.k8s.io']],
  ['MutatingWebhookConfiguration', ['admissionregistration.k8s.io']],
  ['Namespace', ['']],
  ['Node', ['']],
  ['PersistentVolume', ['']],
  ['PodSecurityPolicy', ['policy', 'extensions']],
  ['PriorityClass', ['scheduling.k8s.io']],
  ['PriorityLevelConfiguration', ['flowcontrol.apiserver.k8s.io']],
  ['RuntimeClass', ['node.k8s.io']],
  ['SelfSubjectAccessReview', ['authorization.k8s.io']],
  ['SelfSubjectRulesReview', ['authorization.k8s.io']],
  ['StorageClass', ['storage.k8s.io']],
  ['SubjectAccessReview', ['authorization.k8s.io']],
  ['TokenReview', ['authentication.k8s.io']],
  ['ValidatingWebhookConfiguration', ['admissionregistration.k8s.io']],
  ['VolumeAttachment', ['storage.k8s.io']],
]);

/**
 * Whether kustomize would give the object a namespace. Its schema knows kinds by group, so a CRD's own `Namespace`
 * or `ClusterRole` kind (another group) is namespaced, as is an object without an apiVersion.
 */
export function isNamespaced(obj: { kind: string; apiVersion?: string }): boolean {
  const groups = CLUSTER_SCOPED.get(obj.kind);
  if (!groups || typeof obj.apiVersion !== 'string' || obj.apiVersion === '') return true;
  return !groups.includes(groupOf(obj.apiVersion));
}

export function newRes(obj: KubeObject, source: string): Res {
  return { obj, history: [], prefixes: [], suffixes: [], needsHash: false, source };
}

export function nameOf(r: Res): string {
  return r.obj.metadata.name ?? '';
}

export function namespaceOf(r: Res): string {
  return r.obj.metadata.namespace ?? '';
}

export function versionOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? apiVersion : apiVersion.slice(i + 1);
}

/** Kustomize's Gvk.String(): `group_version_kind` with `~G`/`~V`/`~K` for empty parts. */
export function gvkString(obj: KubeObject): string {
  const g = groupOf(obj.apiVersion) || '~G';
  const v = versionOf(obj.apiVersion) || '~V';
  return `${g}_${v}_${obj.kind || '~K'}`;
}

/** Kustomize's ResId.String(), used in messages and the legacy sort: `gvk|namespace|name`. */
export function idString(r: Res): string {
  return `${gvkString(r.obj)}|${namespaceOf(r) || '~X'}|${nameOf(r) || '~N'}`;
}

/** The identity two resources may not share: group, kind, namespace and name (kustomize ignores the version). */
export function identity(r: Res): string {
  const ns = isNamespaced(r.obj) ? namespaceOf(r) || 'default' : '';
  return `${groupOf(r.obj.apiVersion)}|${r.obj.kind}|${ns}|${nameOf(r)}`;
}

/** Human-readable id for messages: `Deployment.apps/web.default`. */
export function describeRes(r: Res): string {
  const g = groupOf(r.obj.apiVersion);
  const ns = namespaceOf(r);
  return `${r.obj.kind}${g ? `.${g}` : ''}/${nameOf(r)}${ns ? `.${ns}` : ''}`;
}

/** The current kind, name and namespace. */
export function currentId(r: Res): PrevId {
  return { kind: r.obj.kind, name: nameOf(r), namespace: namespaceOf(r) };
}

/** Every identity the resource has had, the current one last (kustomize's PrevIds + CurId). */
export function allIds(r: Res): PrevId[] {
  return [...r.history, currentId(r)];
}

/** The identity it was loaded or generated with (kustomize's OrgId). */
export function originalId(r: Res): PrevId {
  return r.history[0] ?? currentId(r);
}

/** Records the current kind, name and namespace before a transformer or patch changes them. */
export function rememberName(r: Res): void {
  const cur = currentId(r);
  const last = r.history[r.history.length - 1];
  if (!last || last.name !== cur.name || last.namespace !== cur.namespace || last.kind !== cur.kind) {
    r.history.push(cur);
  }
}

/** Records `before` as an earlier identity when a patch changed the kind, name or namespace. */
export function rememberChange(r: Res, before: PrevId): void {
  const cur = currentId(r);
  if (before.kind === cur.kind && before.name === cur.name && before.namespace === cur.namespace) return;
  const last = r.history[r.history.length - 1];
  if (!last || last.name !== before.name || last.namespace !== before.namespace || last.kind !== before.kind) {
    r.history.push(before);
  }
}

export function cloneRes(r: Res): Res {
  return {
    ...r,
    obj: structuredClone(r.obj),
    history: [...r.history],
    prefixes: [...r.prefixes],
    suffixes: [...r.suffixes],
    ...(r.refVars ? { refVars: [...r.refVars] } : {}),
  };
}

export function isMapValue(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A shallow copy of a map without the given keys (the engine copies rather than deletes from shared values). */
export function withoutKeys<T extends object>(map: T, keys: Iterable<string>): T {
  const drop = new Set(keys);
  return Object.fromEntries(Object.entries(map).filter(([k]) => !drop.has(k))) as T;
}

const ORDER_FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

/** Kustomize's legacy order: well-known kinds first and webhooks last, then by gvk, namespace and name. */
export function legacySort(list: Res[], orderFirst = ORDER_FIRST, orderLast = ORDER_LAST): Res[] {
  const rank = new Map<string, number>();
  orderFirst.forEach((k, i) => rank.set(k, i - orderFirst.length));
  orderLast.forEach((k, i) => rank.set(k, i + 1));
  const keyed = list.map((r) => ({ r, rank: rank.get(r.obj.kind) ?? 0, gvk: gvkString(r.obj), id: idString(r) }));
  keyed.sort((a, b) => {
    if (a.gvk !== b.gvk) {
      if (a.rank !== b.rank) return a.rank - b.rank;
      // Kustomize puts the core Namespace before any other group's Namespace kind, whatever the strings say.
      if (a.r.obj.kind === 'Namespace' && b.r.obj.kind === 'Namespace') {
        const ca = groupOf(a.r.obj.apiVersion) === '';
        if (ca !== (groupOf(b.r.obj.apiVersion) === '')) return ca ? -1 : 1;
      }
      return a.gvk < b.gvk ? -1 : 1;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  return keyed.map((k) => k.r);
}
