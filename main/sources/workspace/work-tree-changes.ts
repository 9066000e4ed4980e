/**
 * What changed in a work tree at a few known paths, against the HEAD commit: each path's blob is looked up in HEAD's
 * tree (only the trees on its way are read, with native zlib) and compared with the file's hash. isomorphic-git's
 * statusMatrix, even given the paths, parses the whole index and walks the tree and the folders with it (34 ms per
 * status on 5,000 files, bench workspace); this costs what the paths weigh.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

import git from 'isomorphic-git';

import { type ObjectStore, parseCommit } from '../git/object-store.ts';
import { entryAt, isTreeEntry } from '../git/tree-edit.ts';

export interface FileChange {
  path: string;
  change: 'added' | 'modified' | 'deleted';
}

/** A work tree file as git would store it: its content (a link's target for a symbolic link) and mode. */
export interface WorkFile {
  data: Buffer;
  mode: '100644' | '100755' | '120000';
  stat: fs.Stats;
}

/** The file at `path`, or undefined when there is none (or a folder is there). Stats first: see updateIndex. */
export async function readWorkFile(dir: string, path: string): Promise<WorkFile | undefined> {
  const abs = join(dir, path);
  const stat = await lstat(abs).catch(() => undefined);
  if (!stat || stat.isDirectory()) return undefined;
  if (stat.isSymbolicLink()) return { data: Buffer.from(await readlink(abs)), mode: '120000', stat };
  const data = await readFile(abs).catch(() => undefined);
  if (!data) return undefined;
  return { data, mode: stat.mode & 0o111 ? '100755' : '100644', stat };
}

const blobId = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

/**
 * The changes at `paths` (sorted by path) between the commit `head` and the files. New ignored files do not count;
 * content counts, not the executable bit (as isomorphic-git's statusMatrix, and git with core.fileMode off).
 */
export async function changesAt(
  store: ObjectStore,
  dir: string,
  head: string,
  paths: Iterable<string>,
): Promise<FileChange[]> {
  // No commit yet (an empty repository, a branch about to start): every file is new.
  const tree = head ? parseCommit(store.readTyped(head, 'commit')).tree : undefined;
  const out: FileChange[] = [];
  for (const path of [...paths].sort()) {
    const entry = tree ? entryAt(store, tree, path) : undefined;
    const inHead = entry && !isTreeEntry(entry) && entry.mode !== '160000' ? entry : undefined;
    const file = await readWorkFile(dir, path);
    if (!file) {
      if (inHead) out.push({ path, change: 'deleted' });
    } else if (inHead) {
      if (blobId(file.data) !== inHead.oid) out.push({ path, change: 'modified' });
    } else if (!(await git.isIgnored({ fs, dir, filepath: path }))) out.push({ path, change: 'added' });
  }
  return out;
}
