/**
 * Applying patches to the resources of one kustomization level: strategic merge patches found by the patch's own
 * id (`patchesStrategicMerge`, `patches` without a target), patches of either kind applied to every resource a
 * target selects, and JSON 6902 operations.
 */
import { groupOf, type KubeObject } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import { applyJsonPatch, type JsonPatchOp } from './json-patch.ts';
import {
  cloneRes,
  isMapValue,
  isNamespaced,
  nameOf,
  namespaceOf,
  rememberName,
  type Res,
  versionOf,
} from './resource.ts';
import { compileSelector, type Selector } from './selector.ts';
import { isDeletePatch, strategicMerge } from './strategic-merge.ts';
import { parseYamlStream } from './yaml-parse.ts';

export type ParsedPatch = { type: 'json6902'; ops: JsonPatchOp[] } | { type: 'smp'; docs: Record<string, unknown>[] };

/** Reads patch text: a YAML/JSON list is a JSON 6902 patch, anything else one or more strategic merge patches. */
export function parsePatch(text: string, file: string): ParsedPatch {
  const docs = parseYamlStream(text, file).filter((d) => d !== null);
  if (docs.length === 1 && Array.isArray(docs[0])) {
    const ops = docs[0] as unknown[];
    for (const op of ops) {
      if (!isMapValue(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
        throw new KustomizeError({ file, message: 'a JSON 6902 patch must be a list of {op, path, ...} operations' });
      }
    }
    return { type: 'json6902', ops: ops as JsonPatchOp[] };
  }
  for (const d of docs) {
    if (!isMapValue(d)) throw new KustomizeError({ file, message: 'a strategic merge patch must be a YAML mapping' });
  }
  return { type: 'smp', docs: docs as Record<string, unknown>[] };
}

function mergeInto(r: Res, patch: Record<string, unknown>, allowNameChange: boolean): void {
  const name = nameOf(r);
  const ns = r.obj.metadata.namespace;
  const merged = strategicMerge(r.obj, patch);
  if (!allowNameChange || merged.metadata.name === undefined) merged.metadata.name = name;
  if (merged.metadata.name !== name) {
    const cur = merged.metadata.name;
    merged.metadata.name = name;
    r.obj = merged;
    rememberName(r);
    r.obj.metadata.name = cur;
  } else r.obj = merged;
  if (ns === undefined) delete r.obj.metadata.namespace;
  else r.obj.metadata.namespace = ns;
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
  const ids = (r: Res): { name: string; namespace: string }[] => [
    ...r.history,
    { name: nameOf(r), namespace: namespaceOf(r) },
  ];
  const eff = (r: Res, ns: string | undefined): string => (isNamespaced(r.obj.kind) ? ns || 'default' : '');
  let matches = list.filter(
    (r) =>
      r.obj.kind === kind &&
      groupOf(r.obj.apiVersion) === groupOf(apiVersion) &&
      (!apiVersion || versionOf(r.obj.apiVersion) === versionOf(apiVersion)) &&
      ids(r).some((id) => id.name === name && (namespace === undefined || eff(r, id.namespace) === eff(r, namespace))),
  );
  if (matches.length > 1 && namespace === undefined) {
    const inDefault = matches.filter((r) =>
      ids(r).some((id) => id.name === name && eff(r, id.namespace) === 'default'),
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
export function applyPatchesById(list: Res[], docs: Record<string, unknown>[], file: string): Res[] {
  let out = list;
  for (const patch of docs) {
    const target = findById(out, patch, file);
    if (isDeletePatch(patch)) out = out.filter((r) => r !== target);
    else mergeInto(target, patch, false);
  }
  return out;
}

/** Applies a patch to every resource the target selects (no error when none matches, as kustomize). */
export function applyTargetedPatch(
  list: Res[],
  patch: ParsedPatch,
  target: Selector,
  file: string,
  allowNameChange = false,
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
      const before = cloneRes(r);
      r.obj = obj;
      if (nameOf(r) !== nameOf(before)) {
        const cur = nameOf(r);
        r.obj.metadata.name = nameOf(before);
        rememberName(r);
        r.obj.metadata.name = cur;
      }
      continue;
    }
    for (const doc of patch.docs) {
      if (isDeletePatch(doc)) {
        deleted.add(r);
        break;
      }
      mergeInto(r, doc, allowNameChange);
    }
  }
  return deleted.size ? list.filter((r) => !deleted.has(r)) : list;
}
