/**
 * `transformers:` and `generators:` entries that configure kustomize's built-in plugins (`apiVersion: builtin`,
 * kind LabelTransformer, PatchTransformer, ConfigMapGenerator...). Each config runs the same code as the
 * kustomization field it mirrors, with the config's own field specs. Exec and container (KRM function) plugins are
 * refused, as kubectl and Flux refuse them.
 */
import type { ConfiguredBy } from './build-metadata.ts';
import { parseFieldSpecs } from './config.ts';
import { KustomizeError } from './errors.ts';
import type { FieldSpec } from './field-specs.ts';
import type { GeneratorArgs, ImageEntry, PatchEntry, ReplacementEntry } from './kustomization.ts';
import { isMapValue, type Res } from './resource.ts';
import {
  addPrefixSuffix,
  type NamespaceOptions,
  setImages,
  setNamespace,
  setPairs,
  setReplicas,
} from './transformers.ts';

/** What a plugin needs from the kustomization that lists it: its patches, replacements and generators read files there. */
export interface PluginHost {
  /** The kustomization file, for messages. */
  file: string;
  applyPatch(list: Res[], entry: PatchEntry): Res[];
  applyStrategicMerge(list: Res[], entries: string[]): Res[];
  applyReplacements(list: Res[], entries: ReplacementEntry[]): void;
  generate(kind: 'ConfigMap' | 'Secret', args: GeneratorArgs): Res;
  addHashSuffixes(list: Res[]): void;
  /** buildMetadata: called after each transformer with the resources it ran over. */
  transformed?(list: readonly Res[], by: ConfiguredBy): void;
}

export interface PluginConfig {
  obj: Record<string, unknown>;
  /** Where the config came from, for messages. */
  file: string;
  /** Its build-filesystem path (the kustomization's, for an inline config). */
  path: string;
}

const TRANSFORMERS = new Set([
  'AnnotationsTransformer',
  'HashTransformer',
  'ImageTagTransformer',
  'LabelTransformer',
  'NamespaceTransformer',
  'PatchJson6902Transformer',
  'PatchStrategicMergeTransformer',
  'PatchTransformer',
  'PrefixSuffixTransformer',
  'PrefixTransformer',
  'SuffixTransformer',
  'ReplicaCountTransformer',
  'ReplacementTransformer',
]);
const GENERATORS = new Set(['ConfigMapGenerator', 'SecretGenerator']);
/** Built into kustomize, but not into this engine yet. */
const UNSUPPORTED = new Set([
  'HelmChartInflationGenerator',
  'IAMPolicyGenerator',
  'ValueAddTransformer',
  'SortOrderTransformer',
  'LegacyOrderTransformer',
]);

/** The built-in plugin a config names, or a refusal worded as kubectl's. */
function builtinKind(c: PluginConfig, role: 'transformer' | 'generator'): string {
  const kind = typeof c.obj.kind === 'string' ? c.obj.kind : '';
  if (c.obj.apiVersion !== 'builtin') {
    throw new KustomizeError({
      file: c.file,
      message: `external plugins disabled; unable to load external plugin '${kind}' (only apiVersion: builtin plugins are supported, as in Flux)`,
    });
  }
  if (UNSUPPORTED.has(kind)) {
    throw new KustomizeError({
      file: c.file,
      message: `the builtin plugin ${kind} is not supported by Fluxdeck's kustomize engine`,
    });
  }
  const ownRole = TRANSFORMERS.has(kind) ? 'transformer' : GENERATORS.has(kind) ? 'generator' : undefined;
  if (!ownRole) throw new KustomizeError({ file: c.file, message: `unable to load builtin ${kind}.builtin.[noGrp]` });
  if (ownRole !== role) {
    throw new KustomizeError({ file: c.file, message: `plugin ${kind} is not a ${role}; list it under ${ownRole}s` });
  }
  return kind;
}

function str(c: PluginConfig, key: string): string {
  const v = c.obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new KustomizeError({ file: c.file, message: `${key} must be a string` });
  return v;
}

function stringMap(c: PluginConfig, key: string): Record<string, string> {
  const v = c.obj[key];
  if (v === undefined || v === null) return {};
  if (!isMapValue(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new KustomizeError({ file: c.file, message: `${key} must be a map of strings` });
  }
  return v as Record<string, string>;
}

function map(c: PluginConfig, key: string): Record<string, unknown> {
  const v = c.obj[key];
  if (v === undefined || v === null) return {};
  if (!isMapValue(v)) throw new KustomizeError({ file: c.file, message: `${key} must be a map` });
  return v;
}

function specs(c: PluginConfig): FieldSpec[] {
  return parseFieldSpecs(c.obj.fieldSpecs, c.file);
}

function stringList(c: PluginConfig, key: string): string[] {
  const v = c.obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new KustomizeError({ file: c.file, message: `${key} must be a list of strings` });
  }
  return v;
}

const ROLE_BINDING_MODES = new Set(['', 'defaultOnly', 'allServiceAccounts', 'none']);

/** Runs one transformer config over the resources; returns the (possibly new) list. */
export function runTransformer(list: Res[], c: PluginConfig, host: PluginHost): Res[] {
  const kind = builtinKind(c, 'transformer');
  const out = transform(kind, list, c, host);
  host.transformed?.(out, configuredBy(c, kind));
  return out;
}

/** buildMetadata's record of a plugin config: its file, apiVersion, kind and name. */
export function configuredBy(c: PluginConfig, kind: string): ConfiguredBy {
  const meta = c.obj.metadata;
  const name = isMapValue(meta) && typeof meta.name === 'string' ? meta.name : undefined;
  return { path: c.path, kind, apiVersion: 'builtin', ...(name ? { name } : {}) };
}

function transform(kind: string, list: Res[], c: PluginConfig, host: PluginHost): Res[] {
  switch (kind) {
    case 'AnnotationsTransformer':
      setPairs(list, stringMap(c, 'annotations'), specs(c));
      return list;
    case 'LabelTransformer':
      setPairs(list, stringMap(c, 'labels'), specs(c));
      return list;
    case 'NamespaceTransformer': {
      const namespace =
        typeof map(c, 'metadata').namespace === 'string' ? (map(c, 'metadata').namespace as string) : '';
      const mode = str(c, 'setRoleBindingSubjects');
      if (!ROLE_BINDING_MODES.has(mode)) {
        throw new KustomizeError({ file: c.file, message: `invalid setRoleBindingSubjects '${mode}'` });
      }
      if (namespace === '') return list;
      const options: NamespaceOptions = {
        specs: specs(c),
        unsetOnly: c.obj.unsetOnly === true,
        roleBindingSubjects: (mode || 'defaultOnly') as NamespaceOptions['roleBindingSubjects'],
      };
      setNamespace(list, namespace, options);
      return list;
    }
    case 'PrefixSuffixTransformer':
    case 'PrefixTransformer':
    case 'SuffixTransformer': {
      if (!Array.isArray(c.obj.fieldSpecs)) {
        throw new KustomizeError({ file: c.file, message: `${kind}: fieldSpecs is not expected to be nil` });
      }
      const prefix = kind === 'SuffixTransformer' ? '' : str(c, 'prefix');
      const suffix = kind === 'PrefixTransformer' ? '' : str(c, 'suffix');
      addPrefixSuffix(list, prefix, suffix, specs(c));
      return list;
    }
    case 'ImageTagTransformer': {
      const image = map(c, 'imageTag') as unknown as ImageEntry;
      setImages(list, [image], specs(c));
      return list;
    }
    case 'ReplicaCountTransformer': {
      const replica = map(c, 'replica');
      const name = typeof replica.name === 'string' ? replica.name : '';
      const count = typeof replica.count === 'number' ? replica.count : 0;
      setReplicas(list, [{ name, count }], c.file, specs(c));
      return list;
    }
    case 'PatchTransformer': {
      const entry: PatchEntry = {};
      if (c.obj.path !== undefined) entry.path = str(c, 'path');
      if (c.obj.patch !== undefined) entry.patch = str(c, 'patch');
      if (c.obj.target !== undefined && c.obj.target !== null) entry.target = map(c, 'target');
      if (c.obj.options !== undefined) entry.options = map(c, 'options');
      if (entry.path === undefined && entry.patch === undefined) {
        throw new KustomizeError({ file: c.file, message: 'PatchTransformer: must specify one of patch and path' });
      }
      return host.applyPatch(list, entry);
    }
    case 'PatchJson6902Transformer': {
      const target = map(c, 'target');
      if (Object.keys(target).length === 0) {
        throw new KustomizeError({ file: c.file, message: 'PatchJson6902Transformer: must specify the target field' });
      }
      const entry: PatchEntry = { target };
      if (c.obj.jsonOp !== undefined && c.obj.path !== undefined) {
        throw new KustomizeError({
          file: c.file,
          message: 'PatchJson6902Transformer: must specify the path or jsonOp, not both',
        });
      }
      if (c.obj.jsonOp !== undefined) entry.patch = str(c, 'jsonOp');
      else if (c.obj.path !== undefined) entry.path = str(c, 'path');
      else
        throw new KustomizeError({
          file: c.file,
          message: 'PatchJson6902Transformer: empty file path and empty jsonOp',
        });
      return host.applyPatch(list, entry);
    }
    case 'PatchStrategicMergeTransformer': {
      const entries = [...stringList(c, 'paths')];
      const inline = str(c, 'patches');
      if (inline) entries.push(inline);
      if (entries.length === 0) {
        throw new KustomizeError({
          file: c.file,
          message: 'PatchStrategicMergeTransformer: empty file path and empty patch content',
        });
      }
      return host.applyStrategicMerge(list, entries);
    }
    case 'ReplacementTransformer': {
      const reps = c.obj.replacements;
      if (!Array.isArray(reps)) throw new KustomizeError({ file: c.file, message: 'replacements must be a list' });
      host.applyReplacements(list, reps as ReplacementEntry[]);
      return list;
    }
    case 'HashTransformer':
      host.addHashSuffixes(list);
      return list;
    default:
      throw new KustomizeError({ file: c.file, message: `unable to load builtin ${kind}` });
  }
}

/** The resource one generator config makes; folding it into the build (create/merge/replace) is the caller's. */
export function runGenerator(c: PluginConfig, host: PluginHost): { res: Res; by: ConfiguredBy } {
  const kind = builtinKind(c, 'generator');
  const meta = map(c, 'metadata');
  const args = { ...c.obj } as GeneratorArgs & Record<string, unknown>;
  // The config's own name and namespace win; metadata's are the fallback, as in kustomize's plugins.
  if (!args.name && typeof meta.name === 'string') args.name = meta.name;
  if (!args.namespace && typeof meta.namespace === 'string') args.namespace = meta.namespace;
  return {
    res: host.generate(kind === 'ConfigMapGenerator' ? 'ConfigMap' : 'Secret', args),
    by: configuredBy(c, kind),
  };
}
