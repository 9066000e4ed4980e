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
  'commonAnnotations',
  'images',
  'replicas',
  'varReference',
];

export function defaultConfig(): TransformerConfig {
  return {
    namePrefix: [{ path: 'metadata/name' }],
    nameSuffix: [{ path: 'metadata/name' }],
    namespace: NAMESPACE_SPECS,
    commonLabels: [METADATA_LABELS, ...TEMPLATE_LABEL_SPECS, ...SELECTOR_LABEL_SPECS],
    templateLabels: [METADATA_LABELS, ...TEMPLATE_LABEL_SPECS],
    commonAnnotations: ANNOTATION_SPECS,
    images: [],
    replicas: REPLICA_SPECS,
    varReference: VAR_REFERENCE_SPECS,
    nameReference: NAME_REFERENCES,
  };
}

const sameGvkPath = (a: FieldSpec, b: FieldSpec): boolean =>
  a.path === b.path &&
  (a.kind ?? '') === (b.kind ?? '') &&
  (a.group ?? '') === (b.group ?? '') &&
  (a.version ?? '') === (b.version ?? '');

/** Kustomize's FsSlice.MergeAll: a spec already present is skipped; the same one with another `create` is an error. */
function mergeSpecs(into: FieldSpec[], add: readonly FieldSpec[], file: string): FieldSpec[] {
  const out = [...into];
  for (const spec of add) {
    const found = out.find((s) => sameGvkPath(s, spec));
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
