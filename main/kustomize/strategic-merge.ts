/**
 * Strategic merge patches as kustomize applies them (kyaml's merge2 walk): maps merge key by key, `null` deletes,
 * lists of the types kustomize's built-in schema describes (builtin-schema.ts) merge by their patch merge keys
 * (containers by name, container ports by containerPort and protocol, ...; step by step as kyaml does, see
 * multi-key-list.ts) or are taken from the patch, and `$patch` directives are honoured. kyaml knows no other
 * directive: `$setElementOrder/...`, `$retainKeys` and `$deleteFromPrimitiveList/...` are kept as ordinary fields.
 * Lists of other types (custom resources) are taken from the patch.
 */
import type { KubeObject } from '../util/kube-object.ts';
import { hasBuiltinSchema } from './builtin-schema.ts';
import { mergeKeyedList } from './multi-key-list.ts';
import { type ListStrategy, type PatchSchema, rootSchema, schemaListStrategy } from './openapi.ts';
import { isMapValue } from './resource.ts';
import {
  carrySpelling,
  copyMap,
  mapWithout,
  scalarSpelling,
  scalarStyle,
  scalarText,
  setScalarStyle,
} from './yaml-parse.ts';

/**
 * Merge keys of the lists kustomize's built-in schema (Kubernetes v1.21.2 openapi) marks `x-kubernetes-patch-strategy:
 * merge`, by field name; the exceptions by kind and place are in listStrategy.
 */
const FIELD_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  webhooks: 'name',
};

/** Kinds whose status `conditions` have no merge strategy in kustomize's schema. */
const REPLACED_CONDITIONS = new Set([
  'HorizontalPodAutoscaler',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'CustomResourceDefinition',
]);

const CONTAINER_LISTS = new Set(['containers', 'initContainers']);

interface MergeCtx {
  builtin: boolean;
  kind: string;
  /** A custom schema (the `openapi` field) and the definition of the target's type in it, if any. */
  custom?: { schema: PatchSchema; root: Record<string, unknown> | undefined };
}

function listStrategy(ctx: MergeCtx, path: string[], field: string): ListStrategy {
  if (ctx.custom) return schemaListStrategy(ctx.custom.schema, ctx.custom.root, path, field);
  if (ctx.builtin) {
    if (field === 'finalizers' && path.length === 1 && path[0] === 'metadata') return { type: 'primitive' };
    // kustomize's schema lists two list-map keys for these (x-kubernetes-list-map-keys); other `ports` lists
    // (NetworkPolicy, EndpointSlice, ephemeral containers, ...) have no merge strategy.
    if (field === 'ports') {
      if (ctx.kind === 'Service' && path.length === 1 && path[0] === 'spec')
        return { type: 'key', keys: ['port', 'protocol'] };
      const parent = path[path.length - 1] ?? '';
      if (CONTAINER_LISTS.has(parent)) return { type: 'key', keys: ['containerPort', 'protocol'] };
      return { type: 'replace' };
    }
    if (field === 'topologySpreadConstraints') return { type: 'key', keys: ['topologyKey', 'whenUnsatisfiable'] };
    const top = path.length === 0;
    const at = path.join('.');
    if (ctx.kind === 'ServiceAccount' && top && field === 'secrets') return { type: 'key', keys: ['name'] };
    // A ServiceAccount's imagePullSecrets and a PodSecurityPolicy's volumes (strings) have no merge strategy.
    if (ctx.kind === 'ServiceAccount' && top && field === 'imagePullSecrets') return { type: 'replace' };
    if (ctx.kind === 'PodSecurityPolicy' && at === 'spec' && field === 'volumes') return { type: 'replace' };
    if (field === 'conditions' && REPLACED_CONDITIONS.has(ctx.kind)) return { type: 'replace' };
    if (ctx.kind === 'Node' && at === 'status' && field === 'addresses') return { type: 'key', keys: ['type'] };
    if (ctx.kind === 'Node' && at === 'spec' && field === 'podCIDRs') return { type: 'primitive' };
    if (ctx.kind === 'Pod' && at === 'status' && field === 'podIPs') return { type: 'key', keys: ['ip'] };
    if (ctx.kind === 'CSINode' && at === 'spec' && field === 'drivers') return { type: 'key', keys: ['name'] };
    const key = FIELD_KEYS[field];
    return key ? { type: 'key', keys: [key] } : { type: 'replace' };
  }
  // Without a schema (custom resources) kustomize replaces lists.
  return { type: 'replace' };
}

/**
 * A value the patch adds where the target has none, as kyaml's walk adds it: maps lose nulls and their `$patch` key,
 * keyed lists are merged with themselves, and lists without a merge strategy are taken verbatim (kyaml does not look
 * inside them: `null` elements and `$patch` keys stay).
 */
function clean(ctx: MergeCtx, path: string[], v: unknown): unknown {
  if (!isMapValue(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === '$patch' || val === null || (isMapValue(val) && val.$patch === 'delete')) continue;
    // kyaml walks the added map with itself as the target, so its lists read their directives too.
    const next = Array.isArray(val) ? mergeList(ctx, path, k, val, val) : clean(ctx, [...path, k], val);
    if (next === undefined) continue;
    out[k] = next;
    carrySpelling(out, k, v, k);
  }
  return out;
}

/** A merged list, or undefined when a `{$patch: delete}` element deletes the whole list. */
function mergeList(
  ctx: MergeCtx,
  path: string[],
  field: string,
  target: unknown[] | undefined,
  patch: unknown[],
): unknown[] | undefined {
  const strategy = listStrategy(ctx, path, field);
  // kyaml takes the patch's list as it is for lists without a merge strategy, directives included.
  if (strategy.type === 'replace') return patch;
  let elements = patch;
  let dest = target;
  // A list directive is the first element holding `$patch`, when that is its only key; kyaml reads it only when
  // the target has the list.
  const directive = target ? patch.find((i) => isMapValue(i) && '$patch' in i) : undefined;
  if (isMapValue(directive) && Object.keys(directive).length === 1) {
    const how = directive.$patch;
    if (how === 'delete') return undefined;
    if (how !== 'replace' && how !== 'merge') {
      throw new Error(`unknown patch strategy '${String(how)}' in the list at ${[...path, field].join('.')}`);
    }
    elements = patch.filter((i) => i !== null && !isEmptyMap(i) && !(isMapValue(i) && i.$patch === how));
    // kyaml removes the directive from the patch's node, which is also the target when the patch added the list.
    if (how === 'replace' || target === patch) dest = undefined;
  }
  if (strategy.type === 'primitive') {
    // As for keyed lists: the patch's elements first, then the target's others (finalizers [a, b] patched with
    // [b, c] come out [b, c, a]).
    const out: unknown[] = [];
    for (const p of elements) if (!out.includes(p)) out.push(p);
    for (const d of dest ?? []) if (!out.includes(d)) out.push(d);
    return out;
  }
  return mergeKeyed(ctx, [...path, field], dest, elements, strategy.keys);
}

function isEmptyMap(v: unknown): boolean {
  return isMapValue(v) && Object.keys(v).length === 0;
}

/** A keyed list merged as kyaml's walker merges it (see multi-key-list.ts); `patch` empty for an untouched list. */
function mergeKeyed(
  ctx: MergeCtx,
  childPath: string[],
  target: unknown[] | undefined,
  patch: unknown[],
  keys: string[],
): unknown[] {
  return mergeKeyedList(target, patch, keys, {
    merge: (d, p) => mergeElement(ctx, childPath, d, p),
    add: (p) => (isMapValue(p) && p.$patch === 'delete' ? undefined : clean(ctx, childPath, p)),
    keep: (d) => normalize(ctx, childPath, d),
  });
}

/**
 * A value the patch does not mention, as kyaml's walk leaves it: the walk still visits every map and keyed list of
 * the target, so keyed lists are merged with nothing (duplicates by key collapse to the last one). Returns the same
 * value when nothing changes.
 */
function normalize(ctx: MergeCtx, path: string[], v: unknown): unknown {
  if (!isMapValue(v)) return v;
  let out: Record<string, unknown> | undefined;
  let dropped: Set<string> | undefined;
  for (const [k, child] of Object.entries(v)) {
    if (child === null && isBareNull(v, k)) {
      (dropped ??= new Set()).add(k);
      continue;
    }
    const next = untouched(ctx, path, k, child);
    if (next !== child) {
      out ??= copyMap(v);
      out[k] = next;
    }
    quoteIfOldBool(out ?? v, k, child);
  }
  return dropped ? mapWithout(out ?? v, dropped) : (out ?? v);
}

/**
 * A field written with nothing after it (`key:`). kyaml's walk keeps a null the patch does not mention only when it
 * has text (`null`, `~`): merge2's VisitMap re-creates it from that text, and an empty one clears the field.
 */
function isBareNull(map: Record<string, unknown>, k: string): boolean {
  return scalarSpelling(map, k) === '';
}

/** The field `k` of the map at `path`, which the patch does not mention, after kyaml's walk (see normalize). */
function untouched(ctx: MergeCtx, path: string[], k: string, v: unknown): unknown {
  if (isMapValue(v)) return normalize(ctx, [...path, k], v);
  if (!Array.isArray(v) || v.length === 0) return v;
  const strategy = listStrategy(ctx, path, k);
  if (strategy.type === 'key') return mergeKeyed(ctx, [...path, k], v, [], strategy.keys);
  // A set of scalars (finalizers) loses repeated values.
  if (strategy.type === 'primitive' && new Set(v).size < v.length) return [...new Set(v)];
  return v;
}

function mergeMap(
  ctx: MergeCtx,
  path: string[],
  dest: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  if (patch.$patch === 'replace') return clean(ctx, path, patch) as Record<string, unknown>;
  const out = copyMap(dest);
  const removed = new Set<string>();
  for (const [k, pv] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (pv === null || (isMapValue(pv) && pv.$patch === 'delete')) {
      removed.add(k);
      continue;
    }
    const dv = out[k];
    if (dv !== undefined && dv !== null && nodeKind(dv) !== nodeKind(pv)) {
      // kyaml walks by the target's node kind and refuses a patch value of another kind.
      throw new Error(
        `wrong node kind at ${[...path, k].join('.')}: expected ${nodeKind(dv)} but got ${nodeKind(pv)} (the patch gives a ${nodeKind(pv).replace('Node', '').toLowerCase()} where the resource has a ${nodeKind(dv).replace('Node', '').toLowerCase()})`,
      );
    }
    if (isMapValue(pv)) {
      out[k] = isMapValue(dv) ? mergeMap(ctx, [...path, k], dv, pv) : clean(ctx, [...path, k], pv);
    } else if (Array.isArray(pv)) {
      const merged = mergeList(ctx, path, k, Array.isArray(dv) ? dv : undefined, pv);
      if (merged === undefined) removed.add(k);
      else out[k] = merged;
    } else setScalar(out, k, patch);
  }
  for (const [k, v] of Object.entries(out)) {
    if (k in patch) continue;
    if (v === null && isBareNull(out, k)) removed.add(k);
    else out[k] = untouched(ctx, path, k, v);
    quoteIfOldBool(out, k, v);
  }
  return removed.size > 0 ? mapWithout(out, removed) : out;
}

/** A map without recorded spellings or styles. */
const NO_SPELLING = {};

/**
 * Sets the patch's scalar `patch[k]` on `out` (a copy of the target) as kyaml's FieldSetter does: a field the target
 * has keeps its style, and a quoted or block style turns a number or boolean into a string of the patch's text
 * (go-yaml prints it quoted and kustomize reads that back).
 */
function setScalar(out: Record<string, unknown>, k: string, patch: Record<string, unknown>): void {
  const pv = patch[k];
  if (!(k in out)) {
    out[k] = pv;
    carrySpelling(out, k, patch, k);
    return;
  }
  const style = scalarStyle(out, k);
  const quoted = style === 'quoted';
  const text =
    quoted && (typeof pv === 'number' || typeof pv === 'boolean' || typeof pv === 'bigint')
      ? typeof pv === 'bigint'
        ? pv.toString()
        : scalarText(patch, k, pv)
      : undefined;
  out[k] = text ?? pv;
  carrySpelling(out, k, text === undefined ? patch : NO_SPELLING, k);
  setScalarStyle(out, k, quoted ? 'quoted' : style);
}

/**
 * Plain strings YAML 1.1 reads as booleans. kubectl quotes them in a patch as it reads it, and in a resource once a
 * strategic merge has walked past them (the ones a merge sets keep the target's style), so a later patch's number
 * there comes out as a string: plain `y` patched twice, first elsewhere and then with `1`, gives "1".
 */
const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO']);
for (const w of ['on', 'On', 'ON', 'off', 'Off', 'OFF']) OLD_BOOLS.add(w);

/** Marks `map[k]` quoted when it is a plain string YAML 1.1 reads as a boolean. */
function quoteIfOldBool(map: Record<string, unknown>, k: string, v: unknown): void {
  if (typeof v === 'string' && OLD_BOOLS.has(v) && scalarStyle(map, k) === undefined) setScalarStyle(map, k, 'quoted');
}

const quotedPatches = new WeakSet<object>();

/** Marks every plain YAML 1.1 boolean string in maps of `v` quoted (once per patch object). */
export function quoteOldBools(v: unknown): void {
  if (Array.isArray(v)) {
    for (const item of v) quoteOldBools(item);
    return;
  }
  if (!isMapValue(v) || quotedPatches.has(v)) return;
  quotedPatches.add(v);
  for (const [k, child] of Object.entries(v)) {
    if (typeof child === 'object') quoteOldBools(child);
    else quoteIfOldBool(v, k, child);
  }
}

/** One element of a keyed list merged with its match; undefined when the patch deletes it. */
function mergeElement(ctx: MergeCtx, path: string[], dest: unknown, patch: unknown): unknown {
  if (isMapValue(patch) && patch.$patch === 'delete') return undefined;
  if (isMapValue(dest) && isMapValue(patch)) return mergeMap(ctx, path, dest, patch);
  if (nodeKind(dest) !== nodeKind(patch)) {
    throw new Error(
      `wrong node kind at ${path.join('.')}: expected ${nodeKind(dest)} but got ${nodeKind(patch)} (a list element of another kind)`,
    );
  }
  return clean(ctx, path, patch);
}

function nodeKind(v: unknown): 'MappingNode' | 'SequenceNode' | 'ScalarNode' {
  return Array.isArray(v) ? 'SequenceNode' : isMapValue(v) ? 'MappingNode' : 'ScalarNode';
}

/** True when the patch asks to delete the whole object (`$patch: delete` at the top). */
export function isDeletePatch(patch: Record<string, unknown>): boolean {
  return patch.$patch === 'delete';
}

/** Applies one strategic merge patch to an object, returning the merged object (inputs are not modified). */
export function strategicMerge(target: KubeObject, patch: Record<string, unknown>, schema?: PatchSchema): KubeObject {
  quoteOldBools(patch);
  const ctx: MergeCtx = {
    builtin: hasBuiltinSchema(target.apiVersion, target.kind),
    kind: target.kind,
  };
  if (schema) ctx.custom = { schema, root: rootSchema(schema, target.apiVersion, target.kind) };
  return mergeMap(ctx, [], target, patch) as unknown as KubeObject;
}
