/**
 * The update as git objects, without a work tree: the YAML blobs under `update.path` are read from the commit's tree
 * (native zlib, only that subtree), and the new tree is the old one with the changed blobs swapped in
 * (main/sources/git/tree-edit.ts, shared with the editor's work trees), so only the changed files and the trees on
 * their paths become new objects. No checkout, no index, no status walk: a run costs
 * what the files under `update.path` weigh, not what the repository weighs.
 */
import { type ObjectStore, parseTree } from '../../sources/git/object-store.ts';
import type { GitObjectData } from '../../sources/git/receive-pack.ts';
import { editTree, isTreeEntry, treeFiles } from '../../sources/git/tree-edit.ts';
import type { RepoFile } from './update-files.ts';

export class UpdatePathError extends Error {
  override readonly name = 'UpdatePathError';
}

/** `update.path` as tree segments: `./apps/` → ['apps']; `..` is refused. */
export function pathSegments(path: string | undefined): string[] {
  const segments = (path ?? '').split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new UpdatePathError(`update.path '${path ?? ''}' leaves the repository`);
  return segments;
}

/** The YAML files under `path` in `treeOid`, sorted by path, with their text; none when the path does not exist. */
export function yamlFilesOfTree(store: ObjectStore, treeOid: string, path: string | undefined): RepoFile[] {
  let oid = treeOid;
  const segments = pathSegments(path);
  for (const name of segments) {
    const entry = parseTree(store.readTyped(oid, 'tree')).find((e) => e.name === name);
    if (!entry || !isTreeEntry(entry)) return [];
    oid = entry.oid;
  }
  const prefix = segments.length > 0 ? `${segments.join('/')}/` : '';
  return treeFiles(store, oid, prefix)
    .filter((f) => f.mode !== 0o120000 && /\.ya?ml$/.test(f.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => ({ path: f.path, text: store.readTyped(f.oid, 'blob').toString('utf8') }));
}

/**
 * The tree of `treeOid` with the files of `texts` (path → new text) replaced, and the objects that are new: one blob
 * per changed file and one tree per folder on their paths (main/sources/git/tree-edit.ts).
 */
export function replaceFiles(
  store: ObjectStore,
  treeOid: string,
  texts: ReadonlyMap<string, string>,
): { tree: string; objects: GitObjectData[] } {
  return editTree(store, treeOid, new Map([...texts].map(([path, text]) => [path, { data: Buffer.from(text) }])));
}
