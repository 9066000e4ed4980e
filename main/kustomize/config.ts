/**
 * The transformer configuration: which fields each built-in transformer touches (kustomize's TransformerConfig).
 * It starts as kustomize's defaults; each kustomization's `configurations` files add field specs, and what a base
 * adds stays in force for the overlays above it, as kustomize merges configurations up the tree.
 */
import { KustomizeError } from './errors.ts';
import {
  ANNOTATION_SPECS,
  type FieldSpec,
  METADATA_LABELS,
  NAMESPACE_SPECS,
  REPLICA_SPECS,
  SELECTOR_LABEL_SPECS,
  TEMPLATE_LABEL_SPECS,
} from './field-specs.ts';
import { NAME_REFERENCES, type Referral } from './name-reference.ts';
import { isMapValue } from './resource.ts';
import { VAR_REFERENCE_SPECS } from './vars.ts';
import { parseYamlDocument } from './yaml-parse.ts';

export interface TransformerConfig {
  namePrefix: FieldSpec[];
  nameSuffix: FieldSpec[];
  namespace: FieldSpec[];
  commonLabels: FieldSpec[];
  templateLabels: FieldSpec[];
  /** Extra places every `labels:` entry writes to (kustomize's `labels` configuration). */
  labels: FieldSpec[];
  commonAnnotations: FieldSpec[];
  images: FieldSpec[];
  replicas: FieldSpec[];
  varReference: FieldSpec[];
  nameReference: Referral[];
}

type SpecField = Exclude<keyof TransformerConfig, 'nameReference'>;

const SPEC_FIELDS: SpecField[] = [
  'namePrefix',
  'nameSuffix',
  'namespace',
  'commonLabels',
  'templateLabels',
  'labels',
  'commonAnnotations',
  'images',
  'replicas',
  'varReference',
];

/**
 * Kustomize's default `images` field specs. The image transformer first rewrites every `containers` and
 * `initContainers` image anywhere (its legacy filter), then these paths of any kind again, so a change that is not
 * idempotent (`newName` holding a tag, `tagSuffix`) applies twice there, as kubectl's output shows.
 */
const IMAGE_SPECS: FieldSpec[] = [
  { path: 'spec/containers[]/image' },
  { path: 'spec/initContainers[]/image' },
  { path: 'spec/template/spec/containers[]/image' },
  { path: 'spec/template/spec/initContainers[]/image' },
];

export function defaultConfig(): TransformerConfig {
  return {
    namePrefix: [{ path: 'metadata/name' }],
    nameSuffix: [{ path: 'metadata/name' }],
    namespace: NAMESPACE_SPECS,
    commonLabels: [METADATA_LABELS, ...TEMPLATE_LABEL_SPECS, ...SELECTOR_LABEL_SPECS],
    templateLabels: [METADATA_LABELS, ...TEMPLATE_LABEL_SPECS],
    labels: [],
    commonAnnotations: ANNOTATION_SPECS,
    images: IMAGE_SPECS,
    replicas: REPLICA_SPECS,
    varReference: VAR_REFERENCE_SPECS,
    nameReference: NAME_REFERENCES,
  };
}

/**
 * Kustomize's FieldSpec.effectivelyEquals: the same path, and the spec already there is selected by the new one's
 * group, version and kind (empty ones are wildcards). So a kind-less spec is "already there" once a spec of the same
 * path for one kind is, which is how a `configurations` entry for `metadata/name` of one kind replaces the default.
 */
const effectivelyEquals = (present: FieldSpec, added: FieldSpec): boolean =>
  present.path === added.path &&
  (!added.kind || added.kind === (present.kind ?? '')) &&
  (!added.group || added.group === (present.group ?? '')) &&
  (!added.version || added.version === (present.version ?? ''));

/** Kustomize's FsSlice.MergeAll: a spec already present is skipped; the same one with another `create` is an error. */
function mergeSpecs(into: FieldSpec[], add: readonly FieldSpec[], file: string): FieldSpec[] {
  const out = [...into];
  for (const spec of add) {
    const found = out.find((s) => effectivelyEquals(s, spec));
    if (!found) out.push(spec);
    else if ((found.create ?? false) !== (spec.create ?? false)) {
      throw new KustomizeError({
        file,
        message: `conflicting fieldspecs: '${spec.path}' for kind '${spec.kind ?? ''}' is given with create ${String(spec.create ?? false)} and ${String(found.create ?? false)}`,
      });
    }
  }
  return out;
}

export function mergeConfig(a: TransformerConfig, b: Partial<TransformerConfig>, file: string): TransformerConfig {
  const out = { ...a };
  for (const f of SPEC_FIELDS) if (b[f]) out[f] = mergeSpecs(a[f], b[f], file);
  for (const ref of b.nameReference ?? []) {
    const i = out.nameReference.findIndex((r) => r.kind === ref.kind && (r.group ?? '') === (ref.group ?? ''));
    const existing = out.nameReference[i];
    if (existing) {
      out.nameReference = out.nameReference.with(i, {
        ...existing,
        specs: mergeSpecs(existing.specs, ref.specs, file),
      });
    } else out.nameReference = [...out.nameReference, ref];
  }
  return out;
}

/**
 * A kustomization's own `configurations` with kustomize's defaults merged into them (custom specs first, so a
 * custom spec can stand for a default one; see effectivelyEquals). Name references keep the defaults first.
 */
export function withDefaults(custom: Partial<TransformerConfig>, file: string): TransformerConfig {
  const defaults = defaultConfig();
  const out = { ...defaults };
  for (const f of SPEC_FIELDS) if (custom[f]) out[f] = mergeSpecs(custom[f], defaults[f], file);
  return custom.nameReference ? mergeConfig(out, { nameReference: custom.nameReference }, file) : out;
}

/** Merges configuration files of one kustomization among themselves (before withDefaults). */
export function mergePartial(
  a: Partial<TransformerConfig>,
  b: Partial<TransformerConfig>,
  file: string,
): Partial<TransformerConfig> {
  const out = { ...a };
  for (const f of SPEC_FIELDS) if (b[f]) out[f] = mergeSpecs(a[f] ?? [], b[f], file);
  if (b.nameReference) {
    out.nameReference = mergeConfig(
      { ...defaultConfig(), nameReference: a.nameReference ?? [] },
      b,
      file,
    ).nameReference;
  }
  return out;
}

/** A field spec from a configuration or plugin file (`path`, optional `group`/`version`/`kind`, `create`). */
export function parseFieldSpec(v: unknown, file: string): FieldSpec {
  if (!isMapValue(v) || typeof v.path !== 'string') {
    throw new KustomizeError({ file, message: 'a field spec must be a map with a string path' });
  }
  const spec: FieldSpec = { path: v.path };
  for (const k of ['group', 'version', 'kind'] as const) {
    const x = v[k];
    if (x !== undefined && x !== null) {
      if (typeof x !== 'string') throw new KustomizeError({ file, message: `field spec ${k} must be a string` });
      spec[k] = x;
    }
  }
  if (v.create !== undefined && v.create !== null) {
    if (typeof v.create !== 'boolean') throw new KustomizeError({ file, message: 'field spec create must be a bool' });
    spec.create = v.create;
  }
  return spec;
}

export function parseFieldSpecs(v: unknown, file: string): FieldSpec[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KustomizeError({ file, message: 'fieldSpecs must be a list' });
  return v.map((s) => parseFieldSpec(s, file));
}

const FIELD_NAMES = new Map<string, SpecField | 'nameReference'>(
  [...SPEC_FIELDS, 'nameReference' as const].map((f) => [f.toLowerCase(), f]),
);

/** A `configurations` file: field specs per transformer, and name references (`kind`, `group`, `fieldSpecs`). */
export function parseConfigFile(text: string, file: string): Partial<TransformerConfig> {
  const doc = parseYamlDocument(text, file) ?? {};
  if (!isMapValue(doc)) throw new KustomizeError({ file, message: 'a configuration file must be a YAML mapping' });
  const out: Partial<TransformerConfig> = {};
  for (const [key, value] of Object.entries(doc)) {
    const field = FIELD_NAMES.get(key.toLowerCase());
    if (field === undefined) {
      throw new KustomizeError({ file, message: `error unmarshaling JSON: json: unknown field "${key}"` });
    }
    if (field !== 'nameReference') {
      out[field] = parseFieldSpecs(value, file);
      continue;
    }
    if (value === null) continue;
    if (!Array.isArray(value)) throw new KustomizeError({ file, message: 'nameReference must be a list' });
    out.nameReference = value.map((r) => {
      if (!isMapValue(r) || typeof r.kind !== 'string') {
        throw new KustomizeError({ file, message: 'a nameReference entry needs a kind' });
      }
      return {
        kind: r.kind,
        ...(typeof r.group === 'string' && r.group ? { group: r.group } : {}),
        specs: parseFieldSpecs(r.fieldSpecs, file),
      };
    });
  }
  return out;
}

const getCI = (m: Record<string, unknown>, key: string): unknown =>
  Object.entries(m).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

/**
 * The `crds` field: OpenAPI definitions (kube-openapi's name → {Schema, Dependencies} map, JSON or YAML) whose
 * properties carry kustomize's extensions. `x-kubernetes-object-ref-kind` (with `-api-version`, and `-name-key`,
 * default `name`) makes a name reference; `x-kubernetes-annotation`, `x-kubernetes-label-selector` and
 * `x-kubernetes-identity` add annotation, label and name-prefix field specs. `$ref`s are followed, as kustomize's
 * LoadConfigFromCRDs does; a type counts only if it has kind, apiVersion and metadata properties.
 */
export function configFromCrds(text: string, file: string): Partial<TransformerConfig> {
  const doc = parseYamlDocument(text, file);
  if (!isMapValue(doc)) throw new KustomizeError({ file, message: 'unable to parse open API definition: not a map' });
  const out: Required<Pick<TransformerConfig, 'commonAnnotations' | 'commonLabels' | 'namePrefix' | 'nameReference'>> =
    { commonAnnotations: [], commonLabels: [], namePrefix: [], nameReference: [] };
  const propertiesOf = (typeName: string): Record<string, unknown> | undefined => {
    const def = doc[typeName];
    const schema = isMapValue(def) ? getCI(def, 'Schema') : undefined;
    const props = isMapValue(schema) ? schema.properties : undefined;
    return isMapValue(props) ? props : undefined;
  };
  const walk = (kind: string, typeName: string, path: string[], seen: Set<string>): void => {
    const props = propertiesOf(typeName);
    if (!props || seen.has(typeName)) return;
    const inner = new Set(seen).add(typeName);
    for (const [name, prop] of Object.entries(props)) {
      if (!isMapValue(prop)) continue;
      const at = [...path, name];
      const spec = (p: string[]): FieldSpec => ({ kind, path: p.join('/') });
      const ext = (k: string): string | undefined => {
        const v = getCI(prop, k);
        return typeof v === 'string' ? v : undefined;
      };
      if (ext('x-kubernetes-annotation') !== undefined) out.commonAnnotations.push(spec(at));
      if (ext('x-kubernetes-label-selector') !== undefined) out.commonLabels.push(spec(at));
      if (ext('x-kubernetes-identity') !== undefined) out.namePrefix.push(spec(at));
      const refKind = ext('x-kubernetes-object-ref-kind');
      if (ext('x-kubernetes-object-ref-api-version') !== undefined && refKind !== undefined) {
        const key = ext('x-kubernetes-object-ref-name-key') ?? 'name';
        out.nameReference.push({ kind: refKind, specs: [spec([...at, key])] });
      }
      if (typeof prop.$ref === 'string' && prop.$ref !== '') walk(kind, prop.$ref, at, inner);
    }
  };
  for (const typeName of Object.keys(doc)) {
    const props = propertiesOf(typeName);
    if (!props || !('kind' in props) || !('apiVersion' in props) || !('metadata' in props)) continue;
    if (typeName.split('.').length < 3) {
      throw new KustomizeError({
        file,
        message: `'${typeName}': \`api\` should be specified in dot notation: group.version.kind`,
      });
    }
    walk(typeName.split('.').pop() ?? '', typeName, [], new Set());
  }
  return out;
}
