import type { KubeObject } from '../util/kube-object.ts';
import type { CleanupOptions, FieldManagerMatch } from './apply-policy.ts';

/**
 * `metadata.managedFields`: who set which field. Used for two things: taking over fields that kubectl wrote (the
 * JSON patch Flux sends so its next apply can revert `kubectl edit` changes), and telling the user which manager last
 * set a drifted field.
 */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldSet;
  subresource?: string;
}

/** The FieldsV1 trie: keys `f:<field>`, `k:<json key>`, `v:<json value>`, `i:<index>` and `.` for the node itself. */
export interface FieldSet {
  [key: string]: FieldSet;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');

export function managedFieldsOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  return (obj?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
}

function matches(entry: ManagedFieldsEntry, m: FieldManagerMatch): boolean {
  return (entry.manager ?? '').startsWith(m.name) && entry.operation === m.operation && !entry.subresource;
}

/** Whether the cleanup would change anything on this object (so a cached "unchanged" verdict cannot be trusted). */
export function needsCleanup(existing: KubeObject, cleanup: CleanupOptions, fieldManager: string): boolean {
  return cleanupPatch(existing, cleanup, fieldManager).length > 0;
}

/**
 * Flux's metadata cleanup as one JSON patch: drop the listed annotations and labels, and hand the fields of the listed
 * managers (kubectl's client-side apply and edits, older Flux versions) to our own manager as Apply entries. Empty when
 * there is nothing to do.
 */
export function cleanupPatch(existing: KubeObject, cleanup: CleanupOptions, fieldManager: string): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const annotations = existing.metadata.annotations ?? {};
  for (const key of cleanup.annotations)
    if (key in annotations) ops.push({ op: 'remove', path: `/metadata/annotations/${escapePointer(key)}` });
  const labels = existing.metadata.labels ?? {};
  for (const key of cleanup.labels)
    if (key in labels) ops.push({ op: 'remove', path: `/metadata/labels/${escapePointer(key)}` });
  const entries = managedFieldsOf(existing);
  const renamed = entries.some((e) => cleanup.fieldManagers.some((m) => matches(e, m)));
  const next = entries.map((e) =>
    cleanup.fieldManagers.some((m) => matches(e, m)) ? { ...e, manager: fieldManager, operation: 'Apply' as const } : e,
  );
  if (renamed) ops.push({ op: 'replace', path: '/metadata/managedFields', value: next });
  return ops;
}

/** One step of a path into an object: a map key, or a list element (with the element, to match associative keys). */
export type PathSegment = { key: string } | { index: number; item: unknown };

export interface FieldOwner {
  manager: string;
  operation: string;
  time?: string;
  subresource?: string;
}

function childFor(set: FieldSet, seg: PathSegment): FieldSet | undefined {
  if ('key' in seg) return set[`f:${seg.key}`];
  const item = seg.item;
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    // Associative list element: find the `k:{...}` whose key fields all equal the element's (merge keys vary by list).
    for (const [k, child] of Object.entries(set)) {
      if (!k.startsWith('k:')) continue;
      try {
        const key = JSON.parse(k.slice(2)) as Record<string, unknown>;
        const obj = item as Record<string, unknown>;
        if (Object.entries(key).every(([kk, vv]) => JSON.stringify(obj[kk]) === JSON.stringify(vv))) return child;
      } catch {
        // a malformed key never matches
      }
    }
  } else {
    const byValue = set[`v:${JSON.stringify(item)}`];
    if (byValue) return byValue;
  }
  return set[`i:${seg.index}`];
}

/** Does this field set own the path, itself or through an atomic ancestor? */
export function ownsPath(set: FieldSet | undefined, path: PathSegment[]): boolean {
  let node = set;
  for (const seg of path) {
    if (!node) return false;
    const child = childFor(node, seg);
    if (!child) return false;
    // A leaf `{}` owns its whole value (atomic maps and lists, scalars).
    if (Object.keys(child).length === 0) return true;
    node = child;
  }
  return node !== undefined && ('.' in node || Object.keys(node).length === 0);
}

/** Every manager that owns the path, most recent first. */
export function ownersOf(obj: KubeObject | undefined, path: PathSegment[]): FieldOwner[] {
  return managedFieldsOf(obj)
    .filter((e) => ownsPath(e.fieldsV1, path))
    .map((e) => ({ manager: e.manager ?? '', operation: e.operation ?? '', time: e.time, subresource: e.subresource }))
    .sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
}
