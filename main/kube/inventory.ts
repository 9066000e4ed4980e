import { type ObjectRef, parseInventoryId } from '../util/kube-object.ts';
import { compareRefs } from './apply-order.ts';
import type { ChangeSetEntry } from './change-set.ts';

/**
 * Flux's inventory (`status.inventory` of a Kustomization): `{ entries: [{ id, v }] }` with ids from
 * main/util/kube-object.ts. Every entry of the change set goes in, in change-set order, unchanged and skipped objects
 * included (kustomize-controller `inventory.AddChangeSet`).
 */
export interface InventoryEntry {
  id: string;
  v: string;
}

export interface Inventory {
  entries: InventoryEntry[];
}

/** An inventory entry parsed back into a reference with its version, ready for prune or health checks. */
export interface InventoryRef extends ObjectRef {
  version: string;
}

export function inventoryFromChangeSet(entries: readonly ChangeSetEntry[]): Inventory {
  return { entries: entries.map((e) => ({ id: e.id, v: e.version })) };
}

/** The references in an inventory, sorted in apply order; malformed ids are reported, not dropped silently. */
export function inventoryRefs(inv: Inventory | undefined): InventoryRef[] {
  const out: InventoryRef[] = [];
  for (const e of inv?.entries ?? []) {
    const ref = parseInventoryId(e.id);
    if (!ref) throw new Error(`inventory entry "${e.id}" is not a valid <namespace>_<name>_<group>_<kind> id`);
    out.push({ ...ref, version: e.v });
  }
  return out.sort(compareRefs);
}

/**
 * Objects in `previous` that are not in `next` (by id; versions are ignored, so an apiVersion bump is not a
 * deletion): what prune should delete. Sorted in apply order; deleteAll reverses it.
 */
export function staleObjects(previous: Inventory | undefined, next: Inventory): InventoryRef[] {
  const keep = new Set(next.entries.map((e) => e.id));
  return inventoryRefs({ entries: (previous?.entries ?? []).filter((e) => !keep.has(e.id)) });
}

/** The apiVersion to address an inventory reference with. */
export function apiVersionOf(ref: InventoryRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}
