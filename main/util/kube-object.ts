/**
 * The shape every layer of main/ uses for Kubernetes objects: plain JSON, as the apiserver and kustomize produce it.
 * Typed views of particular kinds are built on top of this where a module needs them.
 */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Identifies one object: what Flux's `object.ObjMetadata` holds. `namespace` is '' for cluster-scoped objects. */
export interface ObjectRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** The API group of an apiVersion: '' for the core group (`v1`), `apps` for `apps/v1`. */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function refOf(obj: KubeObject): ObjectRef {
  return {
    group: groupOf(obj.apiVersion),
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  };
}

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * Flux's inventory id: `<namespace>_<name>_<group>_<kind>` (cli-utils `ObjMetadata.String()`), e.g.
 * `default_podinfo_apps_Deployment` or `_podinfo__Namespace`. For RBAC kinds a `:` in the name is stored as `__`.
 */
export function inventoryId(ref: ObjectRef): string {
  const name = RBAC_KINDS.has(ref.kind) ? ref.name.replaceAll(':', '__') : ref.name;
  return `${ref.namespace}_${name}_${ref.group}_${ref.kind}`;
}

/** Parses an inventory id back into a reference; undefined if it is malformed. */
export function parseInventoryId(id: string): ObjectRef | undefined {
  // Namespaces, names, groups and kinds never contain '_' themselves; only RBAC names carry the '__' escape.
  const kindSep = id.lastIndexOf('_');
  const groupSep = id.lastIndexOf('_', kindSep - 1);
  const nsSep = id.indexOf('_');
  if (nsSep < 0 || groupSep <= nsSep || kindSep <= groupSep) return undefined;
  const kind = id.slice(kindSep + 1);
  const raw = id.slice(nsSep + 1, groupSep);
  const name = RBAC_KINDS.has(kind) ? raw.replaceAll('__', ':') : raw;
  const ref = { namespace: id.slice(0, nsSep), name, group: id.slice(groupSep + 1, kindSep), kind };
  return ref.name && ref.kind ? ref : undefined;
}

/** Human form used in messages and the UI: `Deployment/default/podinfo`, `Namespace/podinfo`. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}
