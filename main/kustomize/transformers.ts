/**
 * The built-in transformers a kustomization's fields configure: namespace, name prefix and suffix, labels,
 * annotations, images and replicas. Each works on the resources of one kustomization level, in kustomize's order
 * (see build.ts).
 */
import { groupOf } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import {
  ANNOTATION_SPECS,
  applyFieldSpecs,
  type FieldSpec,
  gvkMatches,
  METADATA_LABELS,
  NAMESPACE_EXTRA_SPECS,
  PREFIX_SKIP,
  REPLICA_SPECS,
  SELECTOR_LABEL_SPECS,
  TEMPLATE_LABEL_SPECS,
} from './field-specs.ts';
import type { ImageEntry, LabelEntry } from './kustomization.ts';
import { isMapValue, isNamespaced, nameOf, rememberName, type Res } from './resource.ts';

export function setNamespace(list: Res[], namespace: string): void {
  for (const r of list) {
    const obj = r.obj;
    // Only the core Namespace is renamed; a custom resource of kind Namespace is namespaced like any other.
    if (obj.kind === 'Namespace' && groupOf(obj.apiVersion) === '') {
      rememberName(r);
      obj.metadata.name = namespace;
      continue;
    }
    if (isNamespaced(obj)) {
      rememberName(r);
      obj.metadata.namespace = namespace;
    }
    if (obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding') {
      const subjects = obj.subjects;
      if (Array.isArray(subjects)) {
        for (const s of subjects) {
          if (isMapValue(s) && s.name === 'default' && s.kind === 'ServiceAccount') s.namespace = namespace;
        }
      }
    }
    applyFieldSpecs(obj, NAMESPACE_EXTRA_SPECS, (parent, key) => {
      if (key in parent) parent[key] = namespace;
    });
  }
}

export function addPrefixSuffix(list: Res[], prefix: string, suffix: string): void {
  for (const r of list) {
    if (PREFIX_SKIP.some((s) => gvkMatches(r.obj, s))) continue;
    rememberName(r);
    r.obj.metadata.name = `${prefix}${nameOf(r)}${suffix}`;
    if (prefix) r.prefixes.push(prefix);
    if (suffix) r.suffixes.push(suffix);
  }
}

function setAll(parent: Record<string, unknown>, key: string, pairs: Record<string, string>): void {
  const cur = parent[key];
  const target = isMapValue(cur) ? cur : {};
  for (const [k, v] of Object.entries(pairs)) target[k] = v;
  parent[key] = target;
}

export function addLabels(list: Res[], entry: LabelEntry): void {
  const pairs = entry.pairs ?? {};
  if (Object.keys(pairs).length === 0) return;
  const specs: FieldSpec[] = [METADATA_LABELS];
  if (entry.includeSelectors) specs.push(...TEMPLATE_LABEL_SPECS, ...SELECTOR_LABEL_SPECS);
  else if (entry.includeTemplates) specs.push(...TEMPLATE_LABEL_SPECS);
  for (const f of entry.fields ?? []) specs.push(f);
  for (const r of list) applyFieldSpecs(r.obj, specs, (p, k) => setAll(p, k, pairs));
}

export function addAnnotations(list: Res[], annotations: Record<string, string>): void {
  if (Object.keys(annotations).length === 0) return;
  for (const r of list) applyFieldSpecs(r.obj, ANNOTATION_SPECS, (p, k) => setAll(p, k, annotations));
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

export function setImages(list: Res[], images: ImageEntry[]): void {
  for (const img of images) {
    if (!img.name) continue;
    const re = imageMatcher(img.name);
    if (!re) continue;
    for (const r of list) {
      visitContainers(r.obj, (c) => {
        if (typeof c.image === 'string') c.image = updateImage(c.image, img, re);
      });
    }
  }
}

export function setReplicas(list: Res[], replicas: { name: string; count: number }[], file: string): void {
  for (const rep of replicas) {
    let fieldsSet = 0;
    for (const r of list) {
      const named = nameOf(r) === rep.name || r.history.some((h) => h.name === rep.name);
      if (!named) continue;
      applyFieldSpecs(r.obj, REPLICA_SPECS, (parent, key) => {
        parent[key] = rep.count;
        fieldsSet++;
      });
    }
    if (fieldsSet === 0) {
      throw new KustomizeError({
        file,
        message: `replicas: resource with name ${rep.name} does not match a config with the following GVK [Deployment ReplicationController ReplicaSet StatefulSet]`,
      });
    }
  }
}
