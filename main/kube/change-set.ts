import { describeRef, inventoryId, type KubeObject, type ObjectRef, refOf } from '../util/kube-object.ts';
import type { FieldChange } from './object-diff.ts';

/** What happened to one object (fluxcd/pkg `ssa.Action`). */
export type Action = 'created' | 'configured' | 'unchanged' | 'skipped' | 'deleted' | 'unknown';

export interface ChangeSetEntry {
  ref: ObjectRef;
  /** The Flux inventory id: `<namespace>_<name>_<group>_<kind>`. */
  id: string;
  /** The version of the apiVersion the object was applied as (inventory `v`). */
  version: string;
  /** `Kind/namespace/name`, as Flux writes it in events and messages. */
  subject: string;
  action: Action;
  /**
   * For `configured` objects: the fields applying changed, each with the field manager that had set the live value
   * and when (from the dry-run, before the write). This is how a corrected drift names who made it.
   */
  changes?: FieldChange[];
}

export function versionOf(apiVersion: string): string {
  return apiVersion.slice(apiVersion.indexOf('/') + 1);
}

export function changeEntry(obj: KubeObject | (ObjectRef & { version: string }), action: Action): ChangeSetEntry {
  const ref =
    'metadata' in obj ? refOf(obj) : { group: obj.group, kind: obj.kind, namespace: obj.namespace, name: obj.name };
  const version = 'metadata' in obj ? versionOf(obj.apiVersion) : obj.version;
  return { ref, id: inventoryId(ref), version, subject: describeRef(ref), action };
}

/** Entries that changed something (created, configured, deleted). */
export function changed(entries: readonly ChangeSetEntry[]): ChangeSetEntry[] {
  return entries.filter((e) => e.action === 'created' || e.action === 'configured' || e.action === 'deleted');
}

/** Flux's event message: one `Kind/ns/name action` line per changed object. */
export function changeSetMessage(entries: readonly ChangeSetEntry[]): string {
  return changed(entries)
    .map((e) => `${e.subject} ${e.action}`)
    .join('\n');
}
