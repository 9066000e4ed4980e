/**
 * What changed in a work tree at a few known paths, against the HEAD commit: each path's blob is looked up in HEAD's
 * tree (only the trees on its way are read, with native zlib) and compared with the file's hash. isomorphic-git's
 * statusMatrix, even given the paths, parses the whole index and walks the tree and the folders with it (34 ms per
 * status on 5,000 files, bench workspace); this costs what the paths weigh.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

import git from 'isomorphic-git';

import { mapPool } from '../../util/pool.ts';
import { decodeIndexEntries } from '../git/git-index.ts';
import { type ObjectStore, parseCommit } from '../git/object-store.ts';
import { entryAt, isTreeEntry, treeFiles } from '../git/tree-edit.ts';

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

/** Files looked at at once by a full scan: enough to keep the disk busy, few enough to bound descriptors. */
const SCAN_CONCURRENCY = 32;

/** Every file under `dir` except inside `.git` folders, `/`-separated (symbolic links count as files). */
async function workFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true });
    const subdirs: string[] = [];
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== '.git') subdirs.push(path);
      } else if (e.isFile() || e.isSymbolicLink()) out.push(path);
    }
    await Promise.all(subdirs.map(walk));
  };
  await walk('');
  return out;
}

/**
 * Whether a file's stats are the ones its index entry recorded, in the index's own arithmetic (seconds and
 * nanoseconds from the millisecond float, as encodeIndex and isomorphic-git write them; git's exact nanoseconds then
 * differ, and the file is only hashed).
 */
function sameStat(st: fs.Stats, entry: { mtimeS: number; mtimeNs: number; ino: number; size: number }): boolean {
  const s = Math.floor(st.mtimeMs / 1000);
  return (
    st.size >>> 0 === entry.size &&
    st.ino >>> 0 === entry.ino &&
    s >>> 0 === entry.mtimeS &&
    Math.floor((st.mtimeMs - s * 1000) * 1e6) >>> 0 === entry.mtimeNs
  );
}

/**
 * Every change between the commit `head` and the files, as git finds them: a file whose stats (size, modification
 * time, inode) equal its `.git/index` entry's, and whose index blob is HEAD's, is unchanged without being read; only
 * the others are hashed. isomorphic-git's statusMatrix walks HEAD, the index and the folders together through its
 * JavaScript inflate and promise-per-entry walker (about 0.6 s on 5,000 files, the first status of a reopened work
 * tree in bench workspace). A file modified in the same instant the index was written ("racily clean") is hashed.
 * Throws on what it does not read (a submodule, an index extension that changes the entries, no index): the caller
 * then asks isomorphic-git.
 */
export async function changesAll(store: ObjectStore, dir: string, head: string): Promise<FileChange[]> {
  const indexPath = join(dir, '.git', 'index');
  const [indexData, indexStat, files] = await Promise.all([readFile(indexPath), stat(indexPath), workFiles(dir)]);
  const indexed = new Map<string, { oid: string; mtimeS: number; mtimeNs: number; ino: number; size: number }>();
  for (const { name, bytes } of decodeIndexEntries(indexData).entries) {
    indexed.set(name.toString('utf8'), {
      mtimeS: bytes.readUInt32BE(8),
      mtimeNs: bytes.readUInt32BE(12),
      ino: bytes.readUInt32BE(20),
      size: bytes.readUInt32BE(36),
      oid: bytes.toString('hex', 40, 60),
    });
  }
  const inHead = new Map(
    (head ? treeFiles(store, parseCommit(store.readTyped(head, 'commit')).tree) : []).map((f) => [f.path, f.oid]),
  );
  const present = new Set(files);
  const out: FileChange[] = [];
  for (const path of inHead.keys()) if (!present.has(path)) out.push({ path, change: 'deleted' });
  const found = await mapPool(files, SCAN_CONCURRENCY, async (path): Promise<FileChange | undefined> => {
    const oid = inHead.get(path);
    if (oid === undefined)
      return (await git.isIgnored({ fs, dir, filepath: path })) ? undefined : { path, change: 'added' };
    const entry = indexed.get(path);
    if (entry?.oid === oid) {
      const st = await lstat(join(dir, path)).catch(() => undefined);
      if (st && st.mtimeMs < indexStat.mtimeMs && sameStat(st, entry)) return undefined;
    }
    const file = await readWorkFile(dir, path);
    if (!file) return { path, change: 'deleted' };
    return blobId(file.data) === oid ? undefined : { path, change: 'modified' };
  });
  for (const c of found) if (c) out.push(c);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
