/**
 * A commit's tree as the artifact builder's node tree. Blobs are read lazily, when the archive writer gets to them,
 * so only the objects that end up in the artifact are inflated. Submodules become empty directories, as in a go-git
 * checkout without `recurseSubmodules`.
 */
import { type DirNode, newDir } from '../artifacts/source-tree.ts';
import { type ObjectStore, parseCommit, parseTree } from './object-store.ts';

/** A read failure of the git cache itself (a damaged pack or a missing object), as opposed to an archive problem. */
export class GitCacheError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GitCacheError';
  }
}

function readBlob(store: ObjectStore, oid: string): Buffer {
  try {
    return store.readTyped(oid, 'blob');
  } catch (err) {
    throw new GitCacheError(`blob ${oid}: ${(err as Error).message}`, { cause: err });
  }
}

export function commitTree(store: ObjectStore, commit: string): DirNode {
  return treeNode(store, parseCommit(store.readTyped(commit, 'commit')).tree);
}

function treeNode(store: ObjectStore, oid: string): DirNode {
  const dir = newDir();
  for (const e of parseTree(store.readTyped(oid, 'tree'))) {
    switch (e.mode) {
      case '40000':
      case '040000':
        dir.children.set(e.name, treeNode(store, e.oid));
        break;
      case '120000':
        dir.children.set(e.name, { kind: 'link', target: readBlob(store, e.oid).toString('utf8') });
        break;
      case '160000':
        dir.children.set(e.name, newDir());
        break;
      default: {
        const blob = e.oid;
        dir.children.set(e.name, {
          kind: 'file',
          executable: e.mode === '100755',
          read: () => readBlob(store, blob),
        });
      }
    }
  }
  return dir;
}
