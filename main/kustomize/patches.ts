/**
 * Applying patches to the resources of one kustomization level: strategic merge patches found by the patch's own
 * id (`patchesStrategicMerge`, `patches` without a target), patches of either kind applied to every resource a
 * target selects, and JSON 6902 operations.
 */
import { groupOf, type KubeObject } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import { applyJsonPatch, type JsonPatchOp } from './json-patch.ts';
import type { PatchSchema } from './openapi.ts';
import {
  allIds,
  currentId,
  describeRes,
  isMapValue,
  isNamespaced,
  nameOf,
  rememberChange,
  type Res,
  versionOf,
} from './resource.ts';
import { compileSelector, type Selector } from './selector.ts';
import { isDeletePatch, quoteOldBools, strategicMerge } from './strategic-merge.ts';
import { parseYamlStream, RESOURCE_LIMITS, scalarText } from './yaml-parse.ts';

export type ParsedPatch = { type: 'json6902'; ops: JsonPatchOp[] } | { type: 'smp'; docs: Record<string, unknown>[] };

function hasEmptyKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasEmptyKey);
  if (!isMapValue(v)) return false;
  return Object.entries(v).some(([k, x]) => k === '' || hasEmptyKey(x));
}

function yaml11Ops(text: string, file: string): JsonPatchOp[] {
  return parseYamlStream(text, file, { maxNodes: RESOURCE_LIMITS.maxNodes, yaml11Bools: true }).find(
    (d) => d !== null,
  ) as JsonPatchOp[];
}

/** Reads patch text: a YAML/JSON list is a JSON 6902 patch, anything else one or more strategic merge patches. */
export function parsePatch(text: string, file: string): ParsedPatch {
  const docs = parseYamlStream(text, file).filter((d) => d !== null);
  if (docs.length === 0) {
    // Kustomize cannot tell an empty (or comment-only) patch from either kind and refuses it.
    throw new KustomizeError({
      file,
      message: 'the patch is empty: it is neither a strategic merge nor a JSON 6902 patch',
    });
  }
  if (docs.length === 1 && Array.isArray(docs[0])) {
    const ops = docs[0] as unknown[];
    for (const op of ops) {
      if (!isMapValue(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
        throw new KustomizeError({ file, message: 'a JSON 6902 patch must be a list of {op, path, ...} operations' });
      }
    }
    // kustomize reads JSON 6902 operations written as YAML with sigs.k8s.io/yaml (YAML 1.1), so `value: y` or `on`
    // is a boolean there; a JSON text (first character `[`) goes straight to the JSON decoder.
    if (!text.startsWith('[')) return { type: 'json6902', ops: yaml11Ops(text, file) };
    return { type: 'json6902', ops: ops as JsonPatchOp[] };
  }
  for (const d of docs) {
    if (!isMapValue(d)) throw new KustomizeError({ file, message: 'a strategic merge patch must be a YAML mapping' });
    // kyaml reads a number or boolean apiVersion (`apiVersion: 1`) as its text.
    if (typeof d.apiVersion === 'number' || typeof d.apiVersion === 'boolean')
      d.apiVersion = scalarText(d, 'apiVersion', d.apiVersion);
    if (hasEmptyKey(d)) {
      // Kustomize's merge walker cannot look up a field named "" and fails on the patch.
      throw new KustomizeError({ file, message: 'a strategic merge patch has a field with an empty name' });
    }
  }
  return { type: 'smp', docs: docs as Record<string, unknown>[] };
}

/** What a targeted patch may change besides the fields it merges (kustomize's patch `options`). */
export interface PatchOptions {
  allowNameChange?: boolean;
  allowKindChange?: boolean;
}

/**
 * Merges a strategic merge patch into a resource the way kustomize's Resource.ApplySmPatch does: the namespace
 * always stays, and the name and kind stay unless the options allow a change; a change is recorded in the
 * resource's id history so later patches and references still find it by its earlier identity.
 */
function mergeInto(
  r: Res,
  patch: Record<string, unknown>,
  options: PatchOptions,
  file: string,
  schema?: PatchSchema,
): void {
  const before = currentId(r);
  const ns = r.obj.metadata.namespace;
  let merged: KubeObject;
  try {
    merged = strategicMerge(r.obj, patch, schema);
  } catch (err) {
    throw new KustomizeError({ file, message: `${(err as Error).message} (target ${describeRes(r)})` }, { cause: err });
  }
  if (!options.allowKindChange || typeof merged.kind !== 'string' || merged.kind === '') merged.kind = before.kind;
  if (!options.allowNameChange || merged.metadata.name === undefined) merged.metadata.name = before.name;
  if (ns === undefined) delete merged.metadata.namespace;
  else merged.metadata.namespace = ns;
  r.obj = merged;
  rememberChange(r, before);
}

/**
 * A targeted strategic merge patch takes the target's apiVersion (and, unless kind changes are allowed, its kind):
 * kustomize sets the patch copy's GVK from the target, so the patch body's apiVersion and kind are placeholders.
 */
function patchForTarget(r: Res, patch: Record<string, unknown>, options: PatchOptions): Record<string, unknown> {
  const kind = options.allowKindChange && typeof patch.kind === 'string' ? patch.kind : r.obj.kind;
  return { ...patch, apiVersion: r.obj.apiVersion, kind };
}

function patchMeta(patch: Record<string, unknown>): { name?: string; namespace?: string } {
  return isMapValue(patch.metadata) ? patch.metadata : {};
}

/** The one resource a strategic merge patch names by apiVersion, kind, name and (optionally) namespace. */
function findById(list: Res[], patch: Record<string, unknown>, file: string): Res {
  const kind = patch.kind;
  const apiVersion = typeof patch.apiVersion === 'string' ? patch.apiVersion : '';
  const { name, namespace } = patchMeta(patch);
  if (typeof kind !== 'string' || !name) {
    throw new KustomizeError({
      file,
      message: 'a strategic merge patch without a target needs kind and metadata.name',
    });
  }
  // Kustomize's GetById matches any of the resource's ids, current or earlier (a kind or name a patch or prefix
  // changed), with the group and version always the current ones.
  const eff = (r: Res, ns: string | undefined): string => (isNamespaced(r.obj) ? ns || 'default' : '');
  let matches = list.filter(
    (r) =>
      groupOf(r.obj.apiVersion) === groupOf(apiVersion) &&
      (!apiVersion || versionOf(r.obj.apiVersion) === versionOf(apiVersion)) &&
      allIds(r).some(
        (id) =>
          id.kind === kind &&
          id.name === name &&
          (namespace === undefined || eff(r, id.namespace) === eff(r, namespace)),
      ),
  );
  if (matches.length > 1 && namespace === undefined) {
    const inDefault = matches.filter((r) =>
      allIds(r).some((id) => id.kind === kind && id.name === name && eff(r, id.namespace) === 'default'),
    );
    if (inDefault.length === 1) matches = inDefault;
  }
  const [match] = matches;
  if (match === undefined || matches.length > 1) {
    const id = `${apiVersion ? `${apiVersion}, ` : ''}Kind=${kind}, ${namespace ? `${namespace}/` : ''}${name}`;
    throw new KustomizeError({
      file,
      message:
        matches.length === 0
          ? `no resource matches strategic merge patch "${id}"; failed to find unique target for patch`
          : `multiple resources match strategic merge patch "${id}"; failed to find unique target for patch`,
    });
  }
  return match;
}

/** Applies strategic merge patches that identify their target themselves. Returns the surviving resources. */
export function applyPatchesById(
  list: Res[],
  docs: Record<string, unknown>[],
  file: string,
  schema?: PatchSchema,
): Res[] {
  let out = list;
  for (const patch of docs) {
    const target = findById(out, patch, file);
    if (isDeletePatch(patch)) out = out.filter((r) => r !== target);
    else mergeInto(target, patch, {}, file, schema);
  }
  return out;
}

/** Applies a patch to every resource the target selects (no error when none matches, as kustomize). */
export function applyTargetedPatch(
  list: Res[],
  patch: ParsedPatch,
  target: Selector,
  file: string,
  options: PatchOptions & { schema?: PatchSchema } = {},
): Res[] {
  const pick = compileSelector(target);
  const deleted = new Set<Res>();
  for (const r of list) {
    if (!pick(r)) continue;
    if (patch.type === 'json6902') {
      let obj: KubeObject;
      try {
        obj = applyJsonPatch(r.obj, patch.ops) as KubeObject;
      } catch (err) {
        throw new KustomizeError({ file, message: `${(err as Error).message} (target ${nameOf(r)})` }, { cause: err });
      }
      // JSON 6902 operations may change anything, the kind and name included (kustomize records the old id).
      const before = currentId(r);
      // kustomize reads the patched JSON back through go-yaml, which quotes strings YAML 1.1 reads as booleans.
      quoteOldBools(obj);
      r.obj = obj;
      rememberChange(r, before);
      continue;
    }
    for (const doc of patch.docs) {
      if (isDeletePatch(doc)) {
        deleted.add(r);
        break;
      }
      mergeInto(r, patchForTarget(r, doc, options), options, file, options.schema);
    }
  }
  return deleted.size ? list.filter((r) => !deleted.has(r)) : list;
}
