/**
 * Strategic merge patches as kustomize applies them: maps merge key by key, `null` deletes, lists of built-in kinds
 * merge by their patch merge key (containers by name, ports by containerPort, ...) or are replaced, and the `$patch`,
 * `$setElementOrder` and `$deleteFromPrimitiveList` directives are honoured. Merged lists list the patch's elements
 * first, then the target's others; lists in custom resources (no schema) are replaced.
 */
import { groupOf, type KubeObject } from '../util/kube-object.ts';
import { type ListStrategy, type PatchSchema, rootSchema, schemaListStrategy } from './openapi.ts';
import { isMapValue, withoutKeys } from './resource.ts';

const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'apiextensions.k8s.io',
  'admissionregistration.k8s.io',
  'apiregistration.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'certificates.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
]);

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
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  resizePolicy: 'resourceName',
};

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
    if (field === 'ports') {
      const svc = ctx.kind === 'Service' && path.length === 1 && path[0] === 'spec';
      return { type: 'key', keys: [svc ? 'port' : 'containerPort'] };
    }
    if (field === 'secrets' && ctx.kind === 'ServiceAccount' && path.length === 0)
      return { type: 'key', keys: ['name'] };
    const key = FIELD_KEYS[field];
    return key ? { type: 'key', keys: [key] } : { type: 'replace' };
  }
  // Without a schema (custom resources) kustomize replaces lists.
  return { type: 'replace' };
}

/** Removes directive keys (`$patch`, `$setElementOrder/...`) and nulls from a value the patch adds outright. */
function clean(v: unknown): unknown {
  if (Array.isArray(v))
    return v.filter((i) => !(isMapValue(i) && i.$patch !== undefined && Object.keys(i).length === 1)).map(clean);
  if (!isMapValue(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$') || val === null) continue;
    out[k] = clean(val);
  }
  return out;
}

function mergeList(ctx: MergeCtx, path: string[], field: string, dest: unknown[], patch: unknown[]): unknown[] {
  if (patch.some((i) => isMapValue(i) && i.$patch === 'replace')) {
    return patch.filter((i) => !(isMapValue(i) && i.$patch === 'replace')).map(clean);
  }
  const strategy = listStrategy(ctx, path, field);
  if (strategy.type === 'replace') return patch.map(clean);
  if (strategy.type === 'primitive') {
    // As for keyed lists: the patch's elements first, then the target's others (finalizers [a, b] patched with
    // [b, c] come out [b, c, a]).
    const out: unknown[] = [];
    for (const p of patch) if (!out.includes(p)) out.push(p);
    for (const d of dest) if (!out.includes(d)) out.push(d);
    return out;
  }
  // Kustomize's order: the patch's elements first (merged with their match), then the untouched rest.
  const { keys } = strategy;
  const childPath = [...path, field];
  const used = new Set<number>();
  const out: unknown[] = [];
  for (const p of patch) {
    if (!isMapValue(p)) {
      out.push(p);
      continue;
    }
    const idx = dest.findIndex(
      (d, i) => !used.has(i) && isMapValue(d) && p[keys[0] ?? ''] !== undefined && keys.every((k) => d[k] === p[k]),
    );
    if (idx >= 0) used.add(idx);
    if (p.$patch === 'delete') continue;
    out.push(idx >= 0 ? mergeMap(ctx, childPath, dest[idx] as Record<string, unknown>, p) : clean(p));
  }
  dest.forEach((d, i) => {
    if (!used.has(i)) out.push(d);
  });
  return out;
}

function mergeMap(
  ctx: MergeCtx,
  path: string[],
  dest: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  if (patch.$patch === 'replace') return clean(patch) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...dest };
  const removed = new Set<string>();
  for (const [k, pv] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(pv)) out[field] = cur.filter((x) => !pv.includes(x));
      continue;
    }
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
      out[k] = isMapValue(dv) ? mergeMap(ctx, [...path, k], dv, pv) : clean(pv);
    } else if (Array.isArray(pv)) {
      out[k] = Array.isArray(dv) ? mergeList(ctx, path, k, dv, pv) : mergeList(ctx, path, k, [], pv);
    } else out[k] = pv;
  }
  return removed.size > 0 ? withoutKeys(out, removed) : out;
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
  const ctx: MergeCtx = { builtin: BUILTIN_GROUPS.has(groupOf(target.apiVersion)), kind: target.kind };
  if (schema) ctx.custom = { schema, root: rootSchema(schema, target.apiVersion, target.kind) };
  return mergeMap(ctx, [], target, patch) as unknown as KubeObject;
}
