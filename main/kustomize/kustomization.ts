/**
 * The kustomization file: finding it in a directory, reading it strictly (unknown fields are errors, as in
 * kustomize), and folding deprecated fields into their replacements the way `kustomize edit fix` would.
 */
import { KustomizeError } from './errors.ts';
import { type BuildFs, joinPath, shownPath } from './fs.ts';
import type { HelmChart, HelmGlobals } from './helm-charts.ts';
import { isMapValue } from './resource.ts';
import type { Selector } from './selector.ts';
import type { Var } from './vars.ts';
import { parseYamlDocument } from './yaml-parse.ts';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface GeneratorOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  disableNameSuffixHash?: boolean;
  immutable?: boolean;
}

export interface GeneratorArgs {
  name?: string;
  namespace?: string;
  behavior?: string;
  files?: string[];
  literals?: string[];
  envs?: string[];
  env?: string;
  type?: string;
  options?: GeneratorOptions;
}

export interface PatchEntry {
  path?: string;
  patch?: string;
  target?: Selector;
  options?: { allowNameChange?: boolean; allowKindChange?: boolean };
}

export interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
  tagSuffix?: string;
}

export interface LabelEntry {
  pairs?: Record<string, string>;
  includeSelectors?: boolean;
  includeTemplates?: boolean;
  fields?: { path: string; kind?: string; group?: string; version?: string; create?: boolean }[];
}

export interface ReplacementEntry {
  path?: string;
  source?: Record<string, unknown>;
  targets?: Record<string, unknown>[];
}

export interface Kustomization {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown>;
  resources?: string[];
  components?: string[];
  namespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  commonLabels?: Record<string, string>;
  labels?: LabelEntry[];
  commonAnnotations?: Record<string, string>;
  patches?: PatchEntry[];
  patchesStrategicMerge?: string[];
  patchesJson6902?: PatchEntry[];
  images?: ImageEntry[];
  replicas?: { name: string; count: number }[];
  configMapGenerator?: GeneratorArgs[];
  secretGenerator?: GeneratorArgs[];
  generatorOptions?: GeneratorOptions;
  replacements?: ReplacementEntry[];
  vars?: Var[];
  configurations?: string[];
  transformers?: string[];
  generators?: string[];
  buildMetadata?: string[];
  crds?: string[];
  /** `path` of a custom OpenAPI schema, or `version` of a built-in one (openapi.ts). */
  openapi?: Record<string, string>;
  sortOptions?: { order?: 'legacy' | 'fifo'; legacySortOptions?: { orderFirst?: string[]; orderLast?: string[] } };
  helmCharts?: HelmChart[];
  helmGlobals?: HelmGlobals;
}

const KUSTOMIZATION_VERSION = 'kustomize.config.k8s.io/v1beta1';
const COMPONENT_VERSION = 'kustomize.config.k8s.io/v1alpha1';

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'bases',
  'components',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'images',
  'replicas',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
  'replacements',
  'sortOptions',
  'vars',
  'configurations',
  'transformers',
  'generators',
  'buildMetadata',
  'crds',
  'openapi',
  'helmCharts',
  'helmGlobals',
]);

const UNSUPPORTED_FIELDS = new Set(['validators', 'helmChartInflationGenerator', 'imageTags']);

const CANONICAL = new Map([...KNOWN_FIELDS, ...UNSUPPORTED_FIELDS].map((f) => [f.toLowerCase(), f]));

/**
 * Kustomize decodes a kustomization through encoding/json, which matches field names case-insensitively
 * (`nameprefix`, `patchesJSON6902`); when two spellings of one field appear, the later one wins.
 */
function canonicalFields(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) out[CANONICAL.get(key.toLowerCase()) ?? key] = value;
  return out;
}

export interface LoadedKustomization {
  /** The directory (the kustomization root), a path inside the build filesystem. */
  dir: string;
  /** The kustomization file as messages name it (see shownPath). */
  file: string;
  k: Kustomization;
  isComponent: boolean;
  /** The kustomization file's path in the build filesystem (for buildMetadata's relative paths). */
  path?: string;
}

/** Finds the kustomization file of a directory; undefined when there is none. */
export function findKustomizationFile(fs: BuildFs, dir: string): string | undefined {
  const found = KUSTOMIZATION_FILES.map((f) => joinPath(dir, f)).filter((p) => fs.kind(p) === 'file');
  if (found.length > 1) {
    throw new KustomizeError({
      file: shownPath(fs, dir),
      message: `found multiple kustomization files (${found.map((p) => shownPath(fs, p)).join(', ')}); keep only one`,
    });
  }
  return found[0];
}

export function parseKustomization(text: string, file: string, dir: string): LoadedKustomization {
  // Kustomize decodes the kustomization through sigs.k8s.io/yaml, a YAML 1.1 reader: a plain `yes`, `on` or `y` is a
  // boolean there, which a string field refuses.
  const parsed = parseYamlDocument(text, file, { yaml11Bools: true }) ?? {};
  if (!isMapValue(parsed)) throw new KustomizeError({ file, message: 'a kustomization must be a YAML mapping' });
  const raw = canonicalFields(parsed);
  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED_FIELDS.has(key)) {
      throw new KustomizeError({ file, message: `the '${key}' field is not supported by Fluxdeck's kustomize engine` });
    }
    if (!KNOWN_FIELDS.has(key))
      throw new KustomizeError({ file, message: `invalid Kustomization: unknown field "${key}"` });
  }
  if (Object.keys(raw).every((key) => key === 'apiVersion' || key === 'kind')) {
    throw new KustomizeError({ file, message: 'kustomization.yaml is empty' });
  }
  const kind = (raw.kind as string | undefined) ?? 'Kustomization';
  if (kind !== 'Kustomization' && kind !== 'Component') {
    throw new KustomizeError({ file, message: `kind '${kind}' is neither Kustomization nor Component` });
  }
  // Kustomize's EnforceFields: each kind has its own apiVersion (none given is fine).
  const wantVersion = kind === 'Component' ? COMPONENT_VERSION : KUSTOMIZATION_VERSION;
  if (
    raw.apiVersion !== undefined &&
    raw.apiVersion !== null &&
    raw.apiVersion !== '' &&
    raw.apiVersion !== wantVersion
  ) {
    throw new KustomizeError({ file, message: `apiVersion for ${kind} should be ${wantVersion}` });
  }
  const k = { ...raw } as Kustomization & { bases?: string[] };
  if (k.bases) {
    k.resources = [...(k.resources ?? []), ...k.bases];
    delete k.bases;
  }
  checkStringMaps(raw, file);
  checkStringFields(raw, file);
  if (raw.vars !== undefined && raw.vars !== null) k.vars = decodeVars(raw.vars, file);
  if (raw.helmCharts !== undefined && raw.helmCharts !== null) k.helmCharts = decodeHelmCharts(raw.helmCharts, file);
  if (raw.helmGlobals !== undefined && raw.helmGlobals !== null)
    k.helmGlobals = decodeHelmGlobals(raw.helmGlobals, file);
  for (const field of [
    'resources',
    'components',
    'patchesStrategicMerge',
    'configurations',
    'transformers',
    'generators',
  ] as const) {
    // Not validated yet: the file may hold anything YAML can, whatever the Kustomization type says.
    const v: unknown = k[field];
    if (v !== undefined && v !== null && !Array.isArray(v)) {
      throw new KustomizeError({ file, message: `'${field}' must be a list` });
    }
  }
  return { dir, file, k, isComponent: kind === 'Component' };
}

function goTypeOf(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return Array.isArray(v) ? 'array' : 'object';
}

/** A map kustomize decodes as map[string]string: a number, bool or nested value in it fails the decode. */
function checkStringMap(map: unknown, field: string, file: string): void {
  if (!isMapValue(map)) return;
  // A key `true` or `false` (quoted or a YAML 1.1 boolean) makes kustomize fail when it writes the map into a
  // resource ("json: unsupported type: map[interface {}]interface {}").
  const boolKey = Object.keys(map).find((k) => k === 'true' || k === 'false');
  if (boolKey !== undefined) {
    throw new KustomizeError({
      file,
      message: `invalid Kustomization: the key '${boolKey}' in ${field} is read back as a boolean by kustomize, which fails on it; use another key`,
    });
  }
  for (const v of Object.values(map)) {
    if (typeof v === 'string' || v === null) continue;
    throw new KustomizeError({
      file,
      message: `invalid Kustomization: json: cannot unmarshal ${goTypeOf(v)} into Go struct field ${field} of type string (quote the value)`,
    });
  }
}

/** Labels and annotations must be strings in the kustomization file itself, as kustomize's typed decode demands. */
function checkStringMaps(raw: Record<string, unknown>, file: string): void {
  checkStringMap(raw.commonLabels, 'Kustomization.commonLabels', file);
  checkStringMap(raw.commonAnnotations, 'Kustomization.commonAnnotations', file);
  checkStringMap(raw.openapi, 'Kustomization.openapi', file);
  for (const l of Array.isArray(raw.labels) ? (raw.labels as unknown[]) : []) {
    if (isMapValue(l)) checkStringMap(l.pairs, 'Label.labels.pairs', file);
  }
  const options = [raw.generatorOptions];
  for (const g of ['configMapGenerator', 'secretGenerator']) {
    const list = raw[g];
    if (Array.isArray(list)) for (const e of list as unknown[]) if (isMapValue(e)) options.push(e.options);
  }
  for (const o of options) {
    if (!isMapValue(o)) continue;
    checkStringMap(o.labels, 'GeneratorOptions.labels', file);
    checkStringMap(o.annotations, 'GeneratorOptions.annotations', file);
  }
}

type FieldType = 'string' | 'object' | 'bool' | 'strings' | 'map';

const GO_TYPES: Record<FieldType, string> = {
  string: 'string',
  object: 'struct',
  bool: 'bool',
  strings: '[]string',
  map: 'map[string]interface {}',
};

function hasType(v: unknown, want: FieldType): boolean {
  switch (want) {
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'strings':
      return Array.isArray(v) && v.every((s) => typeof s === 'string');
    default:
      return isMapValue(v);
  }
}

/**
 * Reads a YAML map as kustomize's strict JSON decode of a Go struct does: field names match case-insensitively,
 * unknown fields and values of the wrong type are errors. `fields` maps each field to its type.
 */
export function decodeStruct(
  value: unknown,
  fields: Record<string, FieldType>,
  struct: string,
  file: string,
): Record<string, unknown> {
  if (!isMapValue(value)) {
    throw new KustomizeError({
      file,
      message: `invalid Kustomization: json: cannot unmarshal ${goTypeOf(value)} into Go value of type ${struct}`,
    });
  }
  const canonical = new Map(Object.keys(fields).map((f) => [f.toLowerCase(), f]));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = canonical.get(key.toLowerCase());
    if (field === undefined)
      throw new KustomizeError({ file, message: `invalid Kustomization: json: unknown field "${key}"` });
    if (v === null) continue;
    const want = fields[field] ?? 'string';
    if (!hasType(v, want)) {
      throw new KustomizeError({
        file,
        message: `invalid Kustomization: json: cannot unmarshal ${goTypeOf(v)} into Go struct field ${struct}.${field} of type ${GO_TYPES[want]}`,
      });
    }
    out[field] = v;
  }
  return out;
}

const HELM_CHART_FIELDS: Record<string, FieldType> = {
  name: 'string',
  version: 'string',
  repo: 'string',
  releaseName: 'string',
  namespace: 'string',
  nameTemplate: 'string',
  valuesFile: 'string',
  valuesInline: 'map',
  valuesMerge: 'string',
  additionalValuesFiles: 'strings',
  includeCRDs: 'bool',
  skipHooks: 'bool',
  skipTests: 'bool',
  apiVersions: 'strings',
  kubeVersion: 'string',
};

function decodeHelmCharts(value: unknown, file: string): HelmChart[] {
  if (!Array.isArray(value)) throw new KustomizeError({ file, message: "'helmCharts' must be a list" });
  return value.map((c) => decodeStruct(c, HELM_CHART_FIELDS, 'HelmChart', file) as unknown as HelmChart);
}

function decodeHelmGlobals(value: unknown, file: string): HelmGlobals {
  return decodeStruct(value, { chartHome: 'string', configHome: 'string' }, 'HelmGlobals', file);
}

function decodeVars(value: unknown, file: string): Var[] {
  if (!Array.isArray(value)) throw new KustomizeError({ file, message: "'vars' must be a list" });
  return value.map((entry) => {
    const v = decodeStruct(entry, { name: 'string', objref: 'object', fieldref: 'object' }, 'Var', file);
    const objref = decodeStruct(
      v.objref ?? {},
      { apiVersion: 'string', group: 'string', version: 'string', kind: 'string', name: 'string', namespace: 'string' },
      'Target',
      file,
    );
    const fieldref = decodeStruct(v.fieldref ?? {}, { fieldPath: 'string' }, 'FieldSelector', file);
    // Kustomize's default: a var without a field path is the resource's name.
    return {
      name: (v.name as string | undefined) ?? '',
      objref,
      fieldref: { fieldPath: (fieldref.fieldPath as string | undefined) || 'metadata.name' },
    };
  });
}

const STRING_FIELDS = ['namespace', 'namePrefix', 'nameSuffix'] as const;
const STRING_LIST_FIELDS = ['resources', 'components', 'configurations', 'crds', 'transformers', 'generators'] as const;
const IMAGE_FIELDS = ['name', 'newName', 'newTag', 'digest', 'tagSuffix'] as const;

/** Scalar fields kustomize decodes as strings: a number or a YAML 1.1 boolean there fails its decode. */
function checkStringFields(raw: Record<string, unknown>, file: string): void {
  const refuse = (v: unknown, field: string): never => {
    throw new KustomizeError({
      file,
      message: `invalid Kustomization: json: cannot unmarshal ${goTypeOf(v)} into Go struct field ${field} of type string (quote the value)`,
    });
  };
  const check = (v: unknown, field: string): void => {
    if (v !== undefined && v !== null && typeof v !== 'string') refuse(v, field);
  };
  for (const f of STRING_FIELDS) check(raw[f], `Kustomization.${f}`);
  for (const f of STRING_LIST_FIELDS) {
    const list = raw[f];
    if (Array.isArray(list)) for (const v of list as unknown[]) check(v, `Kustomization.${f}`);
  }
  if (Array.isArray(raw.images)) {
    for (const img of raw.images as unknown[]) {
      if (isMapValue(img)) for (const f of IMAGE_FIELDS) check(img[f], `Image.images.${f}`);
    }
  }
}

/** Reads and parses the kustomization of `dir`, or throws naming the directory when it has none. */
export function loadKustomization(fs: BuildFs, dir: string): LoadedKustomization {
  const file = findKustomizationFile(fs, dir);
  if (!file) {
    const shown = shownPath(fs, dir);
    throw new KustomizeError({
      file: shown,
      message: `unable to find one of ${KUSTOMIZATION_FILES.map((f) => `'${f}'`).join(', ')} in directory '${shown}'`,
    });
  }
  return { ...parseKustomization(new TextDecoder().decode(fs.readFile(file)), shownPath(fs, file), dir), path: file };
}
