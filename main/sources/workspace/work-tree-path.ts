import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';

import { WorkspaceError } from './workspace-error.ts';

/**
 * Confines file access to a work tree. Paths come from the UI (and so from whoever can talk to it): they must be
 * relative, must not climb out with `..`, must not touch `.git`, and must not reach outside through a symbolic
 * link — the real path of the deepest existing ancestor has to be inside the tree's real path. Writing to a path that
 * is itself a symbolic link is refused too: the edit would land in the link's target, which git does not show as
 * the file that changed.
 */

export type Access = 'read' | 'write';

const refuse = (path: string, why: string): WorkspaceError =>
  new WorkspaceError('path-refused', `refusing '${path}': ${why}`);

/** The path's segments as git names them (`/`-separated), or an error saying why it is not acceptable. */
export function workTreeSegments(path: string): string[] {
  if (path.trim() === '') throw refuse(path, 'the path is empty');
  if (path.includes('\0')) throw refuse(path.replaceAll('\0', '\\0'), 'the path contains a NUL character');
  if (isAbsolute(path) || /^[a-zA-Z]:/.test(path) || path.startsWith('\\'))
    throw refuse(path, 'the path must be relative to the work tree');
  const segments = path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) throw refuse(path, 'the path names the work tree itself');
  if (segments.includes('..')) throw refuse(path, "'..' is not allowed; name the file from the work tree's root");
  // Case-insensitive: on macOS and Windows `.GIT` is the same directory.
  if (segments.some((s) => s.toLowerCase() === '.git')) throw refuse(path, 'files under .git cannot be edited');
  return segments;
}

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

async function lstatOrUndefined(p: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The absolute path of `path` in the work tree at `root`, after the checks above. */
export async function resolveInWorkTree(root: string, path: string, access: Access): Promise<string> {
  const segments = workTreeSegments(path);
  const realRoot = await realpath(root);
  const target = join(root, ...segments);
  const stat = await lstatOrUndefined(target);
  if (stat?.isSymbolicLink() && access === 'write')
    throw refuse(path, 'it is a symbolic link; edit the file it points to instead');
  // The deepest part of the path that exists decides where the rest would land.
  let existing = target;
  if (!stat) {
    while (existing !== root && !(await lstatOrUndefined(existing))) existing = dirname(existing);
  }
  let real: string;
  try {
    real = await realpath(existing);
  } catch (err) {
    // A dangling link: nothing inside the tree to read or write through it.
    throw refuse(path, `it cannot be resolved (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!inside(realRoot, real)) throw refuse(path, 'it leads outside the work tree through a symbolic link');
  return target;
}
