import type { KubeObject } from '../util/kube-object.ts';
import { isCrd } from './apply-order.ts';
import { ownersOf, type PathSegment } from './managed-fields.ts';
import { redactSecret } from './secret-redaction.ts';

/**
 * Drift between a live object and what applying the desired object would make of it (the server-side dry-run result,
 * so server defaults never show as drift). `hasDrifted` is Flux's yes/no test; `diffObjects` lists the fields, with
 * the field manager that last set each live value (from managedFields), for the UI and `fluxdeck diff`.
 */
export interface FieldChange {
  /** Readable path: `spec.replicas`, `spec.template.spec.containers[name=web].image`, `metadata.labels["app"]`. */
  path: string;
  /** Relative to the live object: `added` = applying would add the field, `removed` = would remove it. */
  op: 'added' | 'changed' | 'removed';
  live?: unknown;
  desired?: unknown;
  /** Who owns the live value (absent for added fields: nobody owns a missing field). */
  manager?: string;
  operation?: string;
  /** When that manager last changed its fields. */
  time?: string;
}

const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionGracePeriodSeconds',
];

type Json = unknown;
type JsonMap = Record<string, Json>;

const isMap = (v: Json): v is JsonMap => v !== null && typeof v === 'object' && !Array.isArray(v);
const isEmpty = (v: Json): boolean =>
  v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0);

/** Deep equality as apimachinery's `Semantic.DeepEqual` sees JSON: null, empty maps and empty lists are equal. */
export function semanticEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && semanticEqual(a[k], b[k]));
  }
  return false;
}

/** Flux's `hasDrifted`: would applying change the object? (labels, annotations, or anything outside metadata and status) */
export function hasDrifted(existing: KubeObject | undefined, dryRun: KubeObject): boolean {
  if (!existing || !dryRun.metadata.resourceVersion) return true;
  if (!semanticEqual(dryRun.metadata.labels ?? {}, existing.metadata.labels ?? {})) return true;
  if (!semanticEqual(dryRun.metadata.annotations ?? {}, existing.metadata.annotations ?? {})) return true;
  const strip = (o: KubeObject): JsonMap => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  return !semanticEqual(strip(dryRun), strip(existing));
}

/**
 * A copy safe to show: managed fields, status and server-set metadata removed; Secret values (and kubectl's
 * last-applied annotation, which holds them) replaced by `***` (secret-redaction.ts).
 * For the new side of a comparison pass the old side as `before`: values that differ from it become `*** (changed)`,
 * so a changed Secret value still shows as a change without revealing either value.
 */
export function maskForDisplay(obj: KubeObject, before?: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata = Object.fromEntries(Object.entries(copy.metadata).filter(([k]) => !SERVER_METADATA.includes(k)));
  if (!isCrd(copy)) delete copy.status;
  return redactSecret(copy, before);
}

/** Chooses how to match elements of two lists: by a key every element has once (e.g. `name`), or by position. */
function listKey(a: Json[], b: Json[]): string | undefined {
  const all = [...a, ...b];
  if (all.length === 0 || !all.every(isMap)) return undefined;
  for (const key of ['name', 'containerPort', 'port', 'mountPath', 'devicePath', 'ip', 'key', 'type', 'topologyKey']) {
    const unique = (xs: Json[]): boolean => {
      const vals = xs.map((x) => (x as JsonMap)[key]);
      return vals.every((v) => typeof v === 'string' || typeof v === 'number') && new Set(vals).size === vals.length;
    };
    if (unique(a) && unique(b)) return key;
  }
  return undefined;
}

const IDENT = /^[A-Za-z_$][\w$-]*$/;

function render(path: { text: string; seg: PathSegment }[]): string {
  return path
    .map((p) => p.text)
    .join('')
    .replace(/^\./, '');
}

interface Walk {
  live: KubeObject;
  changes: FieldChange[];
}

function visit(w: Walk, path: { text: string; seg: PathSegment }[], live: Json, desired: Json): void {
  if (semanticEqual(live, desired)) return;
  const segs = path.map((p) => p.seg);
  const owner = (): Partial<FieldChange> => {
    const o = ownersOf(w.live, segs)[0];
    return o ? { manager: o.manager, operation: o.operation, time: o.time } : {};
  };
  if (live === undefined) {
    w.changes.push({ path: render(path), op: 'added', desired });
    return;
  }
  if (desired === undefined) {
    w.changes.push({ path: render(path), op: 'removed', live, ...owner() });
    return;
  }
  if (isMap(live) && isMap(desired)) {
    const keys = [...new Set([...Object.keys(live), ...Object.keys(desired)])].sort();
    for (const k of keys)
      visit(
        w,
        [...path, { text: IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`, seg: { key: k } }],
        live[k],
        desired[k],
      );
    return;
  }
  if (Array.isArray(live) && Array.isArray(desired)) {
    const key = listKey(live, desired);
    if (key !== undefined) {
      const byKey = (xs: Json[]): Map<string, { item: JsonMap; index: number }> =>
        new Map(xs.map((x, index) => [String((x as JsonMap)[key]), { item: x as JsonMap, index }]));
      const l = byKey(live);
      const d = byKey(desired);
      for (const k of new Set([...l.keys(), ...d.keys()])) {
        const ref = l.get(k) ?? d.get(k);
        if (!ref) continue;
        visit(
          w,
          [...path, { text: `[${key}=${k}]`, seg: { index: ref.index, item: ref.item } }],
          l.get(k)?.item,
          d.get(k)?.item,
        );
      }
      return;
    }
    if (live.length === desired.length) {
      live.forEach((x, i) => visit(w, [...path, { text: `[${i}]`, seg: { index: i, item: x } }], x, desired[i]));
      return;
    }
  }
  w.changes.push({ path: render(path), op: 'changed', live, desired, ...owner() });
}

/**
 * Field-level differences from `live` to `merged` (both as the apiserver returns them), after masking. Each change
 * names the manager that owns the live value, read from the live object's managedFields.
 */
export function diffObjects(live: KubeObject, merged: KubeObject): FieldChange[] {
  const w: Walk = { live, changes: [] };
  visit(w, [], maskForDisplay(live), maskForDisplay(merged, live));
  return w.changes;
}
