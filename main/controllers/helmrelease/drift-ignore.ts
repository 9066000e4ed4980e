import type { HelmRelease } from '../../flux/helm.ts';
import { parseLabelSelector, type Selector } from '../../kustomize/index.ts';
import { groupOf, type KubeObject } from '../../util/kube-object.ts';

/**
 * `spec.driftDetection.ignore` as helm-controller applies it: each rule names JSON Pointers (RFC 6901) that are left
 * out of the comparison for the objects its `target` selects (every object without a target). A difference only at
 * ignored paths is no drift, and correcting drift leaves those fields as they are in the cluster. Pure.
 */

export type IgnoreRule = NonNullable<NonNullable<HelmRelease['spec']['driftDetection']>['ignore']>[number];

const anchored = (p: string | undefined): RegExp | undefined => (p ? new RegExp(`^(?:${p})$`) : undefined);

const versionOf = (apiVersion: string): string =>
  apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;

/** Each id field of a selector with the object's value it is matched against (an empty pattern matches all). */
const idFields = (sel: Selector, obj: KubeObject): [string | undefined, string][] => [
  [sel.group, groupOf(obj.apiVersion)],
  [sel.version, versionOf(obj.apiVersion)],
  [sel.kind, obj.kind],
  [sel.name, obj.metadata.name ?? ''],
  [sel.namespace, obj.metadata.namespace ?? ''],
];

/** Whether `sel` selects `obj`: group, version, kind, name, namespace as anchored patterns, plus label/annotation selectors. */
export function selects(sel: Selector, obj: KubeObject): boolean {
  if (!idFields(sel, obj).every(([pattern, value]) => anchored(pattern)?.test(value) ?? true)) return false;
  if (sel.labelSelector && !parseLabelSelector(sel.labelSelector)(obj.metadata.labels ?? {})) return false;
  return !sel.annotationSelector || parseLabelSelector(sel.annotationSelector)(obj.metadata.annotations ?? {});
}

/** The JSON Pointers the rules ignore for this object. */
export function ignoredPointers(rules: readonly IgnoreRule[], obj: KubeObject): string[] {
  return rules.flatMap((r) => (!r.target || selects(r.target, obj) ? r.paths : []));
}

/** RFC 6901: `/a/b~1c/0` → ['a', 'b/c', '0']. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer '${pointer}': it must start with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

type Node = Record<string, unknown> | unknown[];
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

function parentOf(root: unknown, tokens: string[]): Node | undefined {
  let cur: unknown = root;
  for (const t of tokens.slice(0, -1)) {
    if (!isNode(cur)) return undefined;
    cur = Array.isArray(cur) ? cur[Number(t)] : cur[t];
  }
  return isNode(cur) ? cur : undefined;
}

function valueAt(root: unknown, tokens: string[]): { found: boolean; value?: unknown } {
  const parent = parentOf(root, tokens);
  const last = tokens.at(-1);
  if (!parent || last === undefined) return { found: false };
  if (Array.isArray(parent)) {
    const i = Number(last);
    return Number.isInteger(i) && i < parent.length ? { found: true, value: parent[i] } : { found: false };
  }
  return Object.hasOwn(parent, last) ? { found: true, value: parent[last] } : { found: false };
}

function removeAt(root: unknown, tokens: string[]): void {
  const parent = parentOf(root, tokens);
  const last = tokens.at(-1);
  if (!parent || last === undefined) return;
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (Number.isInteger(i) && i < parent.length) parent.splice(i, 1);
  } else Reflect.deleteProperty(parent, last);
}

function setAt(root: unknown, tokens: string[], value: unknown): void {
  const parent = parentOf(root, tokens);
  const last = tokens.at(-1);
  if (!parent || last === undefined) return;
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else parent[last] = value;
}

/** A copy of `obj` without the ignored paths (what is compared). */
export function withoutPointers<T>(obj: T, pointers: readonly string[]): T {
  const copy = structuredClone(obj);
  // Later list indexes first, so removing one does not shift the next.
  for (const p of [...pointers].sort().reverse()) removeAt(copy, pointerTokens(p));
  return copy;
}

/** Whether `live` and `desired` (the dry-run result) differ only at ignored paths. */
export function differsOnlyAtIgnored(live: unknown, desired: unknown, pointers: readonly string[]): boolean {
  if (pointers.length === 0 || live === undefined || desired === undefined) return false;
  const strip = (o: unknown): string => {
    const copy = withoutPointers(o, pointers) as { metadata?: Record<string, unknown> };
    // The dry run's server-side fields (managedFields, resourceVersion, generation) are not the user's drift.
    if (copy.metadata) {
      for (const k of ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'])
        Reflect.deleteProperty(copy.metadata, k);
    }
    return stableJson(copy);
  };
  return strip(live) === strip(desired);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isNode(v)) {
    const entries = Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The object to apply when correcting drift: the release's state, but the cluster's values at ignored paths. */
export function keepIgnoredFromLive(desired: KubeObject, live: KubeObject, pointers: readonly string[]): KubeObject {
  const out = structuredClone(desired);
  for (const p of pointers) {
    const tokens = pointerTokens(p);
    const l = valueAt(live, tokens);
    if (l.found) setAt(out, tokens, structuredClone(l.value));
    else removeAt(out, tokens);
  }
  return out;
}
