/**
 * What a push of locally made commits must send: exactly the objects the server lacks, found by comparing each local
 * commit's tree with its parent's, path by path (isomorphic-git's push lists every object of both trees to find them,
 * which on a 5,000-file repository costs most of a push). Used with receive-pack.ts by the editor's work trees.
 */
import { type ObjectStore, parseCommit, parseTree } from './object-store.ts';
import type { GitObjectData } from './receive-pack.ts';
import { isTreeEntry } from './tree-edit.ts';

/**
 * The commits from `base` (exclusive) to `tip`, oldest first, following first parents for at most `max` commits;
 * undefined when `base` is not among them, or a commit on the way is a merge or missing (a shallow end): the caller
 * then cannot tell what the server lacks this way.
 */
export function commitsAfter(store: ObjectStore, tip: string, base: string, max = 1000): string[] | undefined {
  const out: string[] = [];
  let oid = tip;
  while (oid !== base) {
    if (out.length >= max || !store.has(oid)) return undefined;
    const { parents } = parseCommit(store.readTyped(oid, 'commit'));
    if (parents.length !== 1) return undefined;
    out.push(oid);
    oid = parents[0] as string;
  }
  return out.reverse();
}

/**
 * The objects `commits` (oldest first, each the child of the one before, the first a child of a commit the other
 * side has) add to what the other side has: the commits, and in each one's tree what differs from its parent's
 * tree at the same path. Trees equal to the parent's are skipped whole, so this costs what changed.
 */
export function objectsOfCommits(store: ObjectStore, commits: readonly string[]): GitObjectData[] {
  const seen = new Set<string>();
  const out: GitObjectData[] = [];
  const take = (oid: string): Buffer | undefined => {
    if (seen.has(oid)) return undefined;
    seen.add(oid);
    const obj = store.read(oid);
    out.push(obj);
    return obj.data;
  };
  const diff = (oid: string, old: string | undefined): void => {
    if (oid === old) return;
    const data = take(oid);
    if (!data) return;
    const before = new Map((old ? parseTree(store.readTyped(old, 'tree')) : []).map((e) => [e.name, e]));
    for (const e of parseTree(data)) {
      const o = before.get(e.name);
      if (o?.oid === e.oid && o.mode === e.mode) continue;
      if (isTreeEntry(e)) diff(e.oid, o && isTreeEntry(o) ? o.oid : undefined);
      else if (e.mode !== '160000') take(e.oid);
    }
  };
  for (const commit of commits) {
    const data = take(commit);
    if (!data) continue;
    const { tree, parents } = parseCommit(data);
    const parentTree = parents[0] ? parseCommit(store.readTyped(parents[0], 'commit')).tree : undefined;
    diff(tree, parentTree);
  }
  return out;
}
