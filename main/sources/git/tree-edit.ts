/**
 * Commits made from the previous tree instead of from an index: the new tree is the old one with the changed blobs
 * swapped in, added or removed, so only the changed files and the trees on their paths become new objects (a handful
 * for an edit, whatever the repository weighs). isomorphic-git's `commit` instead rebuilds and writes every tree of
 * the index. Used by the image automation (setters over blobs, no work tree) and the editor's work trees.
 */
import { type ObjectStore, parseTree, type TreeEntry } from './object-store.ts';
import { type GitObjectData, objectId } from './receive-pack.ts';

/** A file of a commit's tree: its path, git mode and blob. */
export interface TreeFile {
  path: string;
  mode: 0o100644 | 0o100755 | 0o120000;
  oid: string;
}

/** Thrown by {@link treeFiles} on a gitlink (submodule), naming its path. */
export class SubmoduleFound extends Error {
  override readonly name = 'SubmoduleFound';
}

export const isTreeEntry = (e: TreeEntry): boolean => e.mode === '40000' || e.mode === '040000';

/** Every file of a tree, depth first; throws {@link SubmoduleFound} on a gitlink. */
export function treeFiles(store: ObjectStore, treeOid: string, prefix = ''): TreeFile[] {
  const out: TreeFile[] = [];
  for (const e of parseTree(store.readTyped(treeOid, 'tree'))) {
    const path = prefix + e.name;
    if (isTreeEntry(e)) out.push(...treeFiles(store, e.oid, `${path}/`));
    else if (e.mode === '160000') throw new SubmoduleFound(path);
    else
      out.push({ path, oid: e.oid, mode: e.mode === '100755' ? 0o100755 : e.mode === '120000' ? 0o120000 : 0o100644 });
  }
  return out;
}

/** The entry at `path` (`/`-separated) of a tree, reading only the trees on the way; undefined when absent. */
export function entryAt(store: ObjectStore, treeOid: string, path: string): TreeEntry | undefined {
  const segments = path.split('/');
  let oid = treeOid;
  for (const [i, name] of segments.entries()) {
    const entry = parseTree(store.readTyped(oid, 'tree')).find((e) => e.name === name);
    if (!entry || i === segments.length - 1) return entry;
    if (!isTreeEntry(entry)) return undefined;
    oid = entry.oid;
  }
  return undefined;
}

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  return Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')]));
}

/** Git's tree order: names compared as bytes, a tree's name as if it ended with `/`. */
function treeOrder(a: TreeEntry, b: TreeEntry): number {
  const key = (e: TreeEntry): Buffer => Buffer.from(isTreeEntry(e) ? `${e.name}/` : e.name);
  return Buffer.compare(key(a), key(b));
}

/** A new file content (with its mode, default a regular file), or null to remove the file. */
export type FileEdit = { data: Buffer; mode?: '100644' | '100755' | '120000' } | null;

export class TreeEditError extends Error {
  override readonly name = 'TreeEditError';
}

/**
 * The tree of `treeOid` (undefined: the empty tree) with `edits` (path → new content, or null to delete) applied, and
 * the objects that are new: one blob per written file and one tree per folder on the edited paths. A folder left
 * empty disappears, as git has no empty trees. An edited file keeps its mode unless the edit gives one.
 */
export function editTree(
  store: ObjectStore,
  treeOid: string | undefined,
  edits: ReadonlyMap<string, FileEdit>,
): { tree: string; objects: GitObjectData[] } {
  const objects: GitObjectData[] = [];
  const add = (obj: GitObjectData): string => {
    objects.push(obj);
    return objectId(obj);
  };
  // Edits grouped by folder: the first segment, then the rest of the path.
  const rebuild = (
    oid: string | undefined,
    here: ReadonlyMap<string, FileEdit>,
    prefix: string,
  ): string | undefined => {
    const files = new Map<string, FileEdit>();
    const below = new Map<string, Map<string, FileEdit>>();
    for (const [path, edit] of here) {
      const slash = path.indexOf('/');
      if (slash < 0) files.set(path, edit);
      else {
        const name = path.slice(0, slash);
        const sub = below.get(name) ?? new Map<string, FileEdit>();
        below.set(name, sub);
        sub.set(path.slice(slash + 1), edit);
      }
    }
    const entries = new Map((oid ? parseTree(store.readTyped(oid, 'tree')) : []).map((e) => [e.name, e]));
    for (const [name, sub] of below) {
      const old = entries.get(name);
      if (old && !isTreeEntry(old))
        throw new TreeEditError(`${prefix}${name} is a file, so ${prefix}${name}/... cannot be written`);
      const tree = rebuild(old?.oid, sub, `${prefix}${name}/`);
      if (tree) entries.set(name, { mode: '40000', name, oid: tree });
      else entries.delete(name);
    }
    for (const [name, edit] of files) {
      const old = entries.get(name);
      if (old && isTreeEntry(old)) throw new TreeEditError(`${prefix}${name} is a folder in the commit, not a file`);
      if (edit === null) entries.delete(name);
      else {
        const mode = edit.mode ?? (old && old.mode !== '160000' ? old.mode : '100644');
        entries.set(name, { mode, name, oid: add({ type: 'blob', data: edit.data }) });
      }
    }
    if (entries.size === 0) return undefined;
    return add({ type: 'tree', data: encodeTree([...entries.values()].sort(treeOrder)) });
  };
  const tree = rebuild(treeOid, edits, '') ?? add({ type: 'tree', data: Buffer.alloc(0) });
  return { tree, objects };
}
