/**
 * The built-in transformers a kustomization's fields configure: namespace, name prefix and suffix, labels,
 * annotations, images and replicas. Each works on the resources of one kustomization level, in kustomize's order
 * (see build.ts).
 */
import { groupOf } from '../util/kube-object.ts';
import type { TransformerConfig } from './config.ts';
import { KustomizeError } from './errors.ts';
import {
  applyFieldSpecs,
  type FieldSpec,
  gvkMatches,
  METADATA_LABELS,
  NAMESPACE_SPECS,
  PREFIX_SKIP,
  REPLICA_SPECS,
} from './field-specs.ts';
import type { ImageEntry, LabelEntry } from './kustomization.ts';
import { isMapValue, isNamespaced, nameOf, rememberName, type Res } from './resource.ts';
import { isYaml11NonString, setScalarStyle } from './yaml-parse.ts';

export interface NamespaceOptions {
  /** Where the namespace goes besides metadata/namespace (the config's `namespace` field specs). */
  specs?: readonly FieldSpec[];
  /** Set only fields that are empty (NamespaceTransformer's unsetOnly). */
  unsetOnly?: boolean;
  /** Which RoleBinding subjects get the namespace (NamespaceTransformer's setRoleBindingSubjects). */
  roleBindingSubjects?: 'defaultOnly' | 'allServiceAccounts' | 'none';
}

const isRoleBinding = (kind: string): boolean => kind === 'RoleBinding' || kind === 'ClusterRoleBinding';

export function setNamespace(list: Res[], namespace: string, options: NamespaceOptions = {}): void {
  const { specs = NAMESPACE_SPECS, unsetOnly = false, roleBindingSubjects = 'defaultOnly' } = options;
  const set = (parent: Record<string, unknown>, key: string): void => {
    if (unsetOnly && typeof parent[key] === 'string' && parent[key] !== '') return;
    parent[key] = namespace;
  };
  // metadata/namespace and RoleBinding subjects have fixed rules in kustomize, whatever the specs say.
  const generic = specs.filter(
    (s) => s.path !== 'metadata/namespace' && !(isRoleBinding(s.kind ?? '') && s.path.startsWith('subjects')),
  );
  const renamesNamespaces = generic.some((s) => s.path === 'metadata/name' && s.kind === 'Namespace');
  for (const r of list) {
    const obj = r.obj;
    // Only the core Namespace is renamed; a custom resource of kind Namespace is namespaced like any other.
    // Kustomize stores every resource's id before the transformer runs, cluster-scoped ones too: a name reference
    // then counts them among the resources "renamed" from that name, and narrows by prefix and suffix.
    rememberName(r);
    const coreNamespace = obj.kind === 'Namespace' && groupOf(obj.apiVersion) === '';
    if (coreNamespace) {
      if (renamesNamespaces) set(obj.metadata, 'name');
      continue;
    }
    if (isNamespaced(obj)) set(obj.metadata, 'namespace');
    if (isRoleBinding(obj.kind) && Array.isArray(obj.subjects) && roleBindingSubjects !== 'none') {
      for (const s of obj.subjects as unknown[]) {
        if (!isMapValue(s) || s.kind !== 'ServiceAccount') continue;
        if (roleBindingSubjects === 'allServiceAccounts' || s.name === 'default') set(s, 'namespace');
      }
    }
    applyFieldSpecs(obj, generic, (parent, key, spec) => {
      if (spec.path === 'metadata/name') return;
      if (key in parent || spec.create) set(parent, key);
    });
  }
}

const NAME_PATH = 'metadata/name';

/**
 * namePrefix/nameSuffix (PrefixSuffixTransformer): the name, which kustomize records for name references, and any
 * other string field the config's field specs name. CRDs, APIServices and Namespaces keep their names.
 */
export function addPrefixSuffix(
  list: Res[],
  prefix: string,
  suffix: string,
  specs: readonly FieldSpec[] = [{ path: NAME_PATH }],
): void {
  for (const r of list) {
    if (PREFIX_SKIP.some((s) => gvkMatches(r.obj, s))) continue;
    for (const spec of specs) {
      if (!gvkMatches(r.obj, spec)) continue;
      if (spec.path === NAME_PATH) {
        rememberName(r);
        r.obj.metadata.name = `${prefix}${nameOf(r)}${suffix}`;
        if (prefix) r.prefixes.push(prefix);
        if (suffix) r.suffixes.push(suffix);
        continue;
      }
      applyFieldSpecs(r.obj, [spec], (parent, key) => {
        const v = parent[key];
        if (typeof v === 'string') parent[key] = `${prefix}${v}${suffix}`;
        else if (v !== null && typeof v === 'object') {
          throw new KustomizeError({
            file: r.source,
            message: `considering field '${spec.path}' of ${r.obj.kind} ${nameOf(r)}: expected a scalar, not a ${Array.isArray(v) ? 'list' : 'map'}`,
          });
        }
      });
    }
  }
}

function setAll(parent: Record<string, unknown>, key: string, pairs: Record<string, string>): void {
  const cur = parent[key];
  const target = isMapValue(cur) ? cur : {};
  for (const [k, v] of Object.entries(pairs)) {
    target[k] = v;
    // kyaml's SetEntry quotes a value YAML 1.1 would read as something else, so a later patch's number there
    // becomes a string (see strategic-merge.ts setScalar).
    setScalarStyle(target, k, isYaml11NonString(v) ? 'quoted' : undefined);
  }
  parent[key] = target;
}

/** Sets every pair in the maps the field specs reach (LabelTransformer, AnnotationsTransformer). */
export function setPairs(list: Res[], pairs: Record<string, string>, specs: readonly FieldSpec[]): void {
  if (Object.keys(pairs).length === 0) return;
  for (const r of list) applyFieldSpecs(r.obj, specs, (p, k) => setAll(p, k, pairs));
}

/** A `labels` entry: metadata only, or with pod templates, or with selectors too; plus the entry's own fields. */
export function addLabels(
  list: Res[],
  entry: LabelEntry,
  config: Pick<TransformerConfig, 'commonLabels' | 'templateLabels' | 'labels'>,
): void {
  const specs: FieldSpec[] = entry.includeSelectors
    ? [...config.commonLabels]
    : entry.includeTemplates
      ? [...config.templateLabels]
      : [METADATA_LABELS];
  for (const f of [...config.labels, ...(entry.fields ?? [])]) if (!specs.includes(f)) specs.push(f);
  setPairs(list, entry.pairs ?? {}, specs);
}

/** go's image.Split: name, tag and digest of an image reference, ignoring a registry port. */
function splitImage(image: string): [string, string, string] {
  const slash = image.indexOf('/');
  const offset = slash > 0 ? slash : 0;
  const search = image.slice(offset);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (colon < 0 && at < 0) return [image, '', ''];
  if (at >= 0 && (at < colon || colon < 0)) return [image.slice(0, at + offset), '', image.slice(at + offset + 1)];
  if (at >= 0 && colon >= 0) {
    return [image.slice(0, colon + offset), image.slice(colon + offset + 1, at + offset), image.slice(at + offset + 1)];
  }
  return [image.slice(0, colon + offset), image.slice(colon + offset + 1), ''];
}

function imageMatcher(name: string): RegExp | undefined {
  // kubectl (kustomize v5.5) treats the name `*` as matching every image.
  if (name === '*') return /^/;
  try {
    return new RegExp(`^${name}(@sha256)?(:[a-zA-Z0-9_.{}-]*)?$`);
  } catch {
    return undefined;
  }
}

function updateImage(value: string, img: ImageEntry, re: RegExp): string {
  let [name, tag, digest] = splitImage(value);
  if (name !== img.name && !re.test(value)) return value;
  if (img.newName) name = img.newName;
  if (img.newTag && img.digest) {
    tag = img.newTag;
    digest = img.digest;
  } else if (img.newTag) {
    tag = img.newTag;
    digest = '';
  } else if (img.digest) {
    tag = '';
    digest = img.digest;
  }
  if (img.tagSuffix) tag += img.tagSuffix;
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** Every `containers`/`initContainers` list anywhere in the object (kustomize's legacy image filter). */
function visitContainers(node: unknown, fn: (c: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) visitContainers(n, fn);
    return;
  }
  if (!isMapValue(node)) return;
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'containers' || k === 'initContainers') && Array.isArray(v)) {
      for (const c of v) if (isMapValue(c)) fn(c);
    }
    visitContainers(v, fn);
  }
}

/** `images` (ImageTagTransformer): every container's image, and any field the config's `images` specs name. */
export function setImages(list: Res[], images: ImageEntry[], specs: readonly FieldSpec[] = []): void {
  for (const img of images) {
    if (!img.name) continue;
    const re = imageMatcher(img.name);
    if (!re) continue;
    for (const r of list) {
      visitContainers(r.obj, (c) => {
        if (typeof c.image === 'string') c.image = updateImage(c.image, img, re);
      });
      applyFieldSpecs(r.obj, specs, (parent, key) => {
        const v = parent[key];
        if (typeof v === 'string') parent[key] = updateImage(v, img, re);
      });
    }
  }
}

export function setReplicas(
  list: Res[],
  replicas: { name: string; count: number }[],
  file: string,
  specs: readonly FieldSpec[] = REPLICA_SPECS,
): void {
  for (const rep of replicas) {
    let fieldsSet = 0;
    for (const r of list) {
      const named = nameOf(r) === rep.name || r.history.some((h) => h.name === rep.name);
      if (!named) continue;
      applyFieldSpecs(r.obj, specs, (parent, key) => {
        parent[key] = rep.count;
        fieldsSet++;
      });
    }
    if (fieldsSet === 0) {
      throw new KustomizeError({
        file,
        message: `replicas: resource with name ${rep.name} does not match a config with the following GVK [${specs.map((s) => s.kind ?? '').join(' ')}]`,
      });
    }
  }
}
