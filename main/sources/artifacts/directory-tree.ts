/**
 * A local directory (or one file) as the tree an artifact is archived from, the way `flux push artifact` walks it:
 * regular files and directories only; symbolic links are left out unless `resolveSymlinks`, which copies what they
 * point to (a link to a directory is walked, with a guard against loops). Files are read when archived, not here,
 * so a 50 MB tree is never held in memory at once.
 */
import { readdirSync, readFileSync, realpathSync, type Stats, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { type DirNode, type FileNode, newDir } from './source-tree.ts';

export interface DirectoryTreeOptions {
  /** Copy the targets of symbolic links into the tree instead of leaving links out (flux's --resolve-symlinks). */
  resolveSymlinks?: boolean;
}

/** Reads `path` into a tree; a file path gives a tree holding that one file at its base name. */
export function readDirectoryTree(path: string, opts: DirectoryTreeOptions = {}): DirNode {
  const root = newDir();
  const st = statSync(path);
  if (st.isFile()) {
    root.children.set(basename(path), fileNode(path, st.mode));
    return root;
  }
  if (!st.isDirectory()) throw new Error(`${path} is neither a directory nor a regular file`);
  walk(path, root, opts, new Set([realpathSync(path)]));
  return root;
}

function walk(dir: string, node: DirNode, opts: DirectoryTreeOptions, onPath: Set<string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    if (entry.isSymbolicLink() && !opts.resolveSymlinks) continue;
    const st = entry.isSymbolicLink() ? statOrUndefined(abs) : statSync(abs);
    if (st === undefined) continue; // a broken link: nothing to copy
    if (st.isFile()) node.children.set(entry.name, fileNode(abs, st.mode));
    else if (st.isDirectory()) {
      const real = realpathSync(abs);
      // A link back to one of its own parents would make the walk endless; such a link is left out.
      if (onPath.has(real)) continue;
      const child = newDir();
      node.children.set(entry.name, child);
      onPath.add(real);
      walk(abs, child, opts, onPath);
      onPath.delete(real);
    }
  }
}

function fileNode(path: string, mode: number): FileNode {
  return { kind: 'file', executable: (mode & 0o111) !== 0, read: () => readFileSync(path) };
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
