/**
 * Git's index (`.git/index`), versions 2 and 3 (`Documentation/gitformat-index.txt`): a header, one entry per file
 * sorted by path bytes (stats, mode, blob id, flags with the path length, the path, NUL padding to a multiple of 8),
 * optional extensions, and a SHA-1 trailer. The stats let `git status` and isomorphic-git's statusMatrix skip
 * hashing files that did not change. Written whole by a clone; updated entry by entry by a commit, which copies the
 * untouched entries' bytes as they are (isomorphic-git's `add` parses and re-renders all of them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { TreeFile } from './tree-edit.ts';

/** The stat fields git keeps per index entry. */
export interface IndexStat {
  ctimeMs: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
  size: number;
}

export class IndexFormatError extends Error {
  override readonly name = 'IndexFormatError';
}

const u32 = (n: number): number => Math.trunc(n) >>> 0;

/** One entry's bytes (stage 0, no extended flags). */
function encodeEntry(file: TreeFile, stat: IndexStat): Buffer {
  const name = Buffer.from(file.path);
  const entry = Buffer.alloc(Math.ceil((62 + name.length + 1) / 8) * 8);
  // The same float arithmetic as isomorphic-git's normalizeStats, so its statusMatrix finds the stats equal.
  const secs = (ms: number): [number, number] => {
    const s = Math.floor(ms / 1000);
    return [u32(s), u32(Math.floor((ms - s * 1000) * 1e6))];
  };
  const [cs, cn] = secs(stat.ctimeMs);
  const [ms, mn] = secs(stat.mtimeMs);
  [cs, cn, ms, mn, u32(stat.dev), u32(stat.ino), file.mode, u32(stat.uid), u32(stat.gid), u32(stat.size)].forEach(
    (v, i) => entry.writeUInt32BE(v, i * 4),
  );
  entry.write(file.oid, 40, 'hex');
  entry.writeUInt16BE(Math.min(name.length, 0xfff), 60);
  name.copy(entry, 62);
  return entry;
}

function withHeaderAndTrailer(version: number, count: number, parts: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(12);
  header.write('DIRC', 0, 'latin1');
  header.writeUInt32BE(version, 4);
  header.writeUInt32BE(count, 8);
  const body = Buffer.concat([header, ...parts]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** A version 2 index of `entries` (any order). */
export function encodeIndex(entries: readonly { file: TreeFile; stat: IndexStat }[]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.file.path), Buffer.from(b.file.path)));
  return withHeaderAndTrailer(
    2,
    sorted.length,
    sorted.map(({ file, stat }) => encodeEntry(file, stat)),
  );
}

/** A path's new index entry: its blob and mode, and the stat of the file as it was when hashed. */
export interface IndexUpdate {
  file: TreeFile;
  stat: IndexStat;
}

interface RawEntry {
  name: Buffer;
  bytes: Buffer;
}

/** The entries of an index file as raw bytes with their paths; the extensions are checked, not kept. */
export function decodeIndexEntries(data: Buffer): { version: number; entries: RawEntry[] } {
  if (data.length < 32 || data.toString('latin1', 0, 4) !== 'DIRC') throw new IndexFormatError('not a git index');
  const version = data.readUInt32BE(4);
  if (version !== 2 && version !== 3)
    throw new IndexFormatError(`index version ${version} (only versions 2 and 3 are read)`);
  const trailer = data.length - 20;
  const sum = data.subarray(trailer);
  // An all-zero trailer is git's `index.skipHash`.
  if (sum.some((b) => b !== 0) && !createHash('sha1').update(data.subarray(0, trailer)).digest().equals(sum))
    throw new IndexFormatError('the index checksum does not match (a damaged index)');
  const count = data.readUInt32BE(8);
  const entries: RawEntry[] = [];
  let p = 12;
  for (let i = 0; i < count; i++) {
    const flags = data.readUInt16BE(p + 60);
    const nameAt = p + 62 + (version === 3 && flags & 0x4000 ? 2 : 0);
    const end = data.indexOf(0, nameAt);
    if (end < 0 || end >= trailer) throw new IndexFormatError('an index entry runs past the end');
    const length = Math.ceil((end + 1 - p) / 8) * 8;
    entries.push({ name: data.subarray(nameAt, end), bytes: data.subarray(p, p + length) });
    p += length;
  }
  // Extensions whose signature starts with an upper-case letter are optional caches (TREE, UNTR, ...) that a writer
  // may drop; any other (split index `link`, sparse `sdir`) changes what the entries mean.
  while (p + 8 <= trailer) {
    const sig = data.toString('latin1', p, p + 4);
    if (!/^[A-Z]/.test(sig)) throw new IndexFormatError(`index extension '${sig}' is not supported`);
    p += 8 + data.readUInt32BE(p + 4);
  }
  return { version, entries };
}

/**
 * Replaces the entries of `updates` (path → its blob and the file's stat, or null to remove the path) in
 * `<gitdir>/index`, keeping every other entry's bytes, and writes it atomically (a temporary file renamed over it).
 * Cached extensions (the tree cache) are dropped, as they may describe the old entries.
 */
export async function updateIndex(gitdir: string, updates: ReadonlyMap<string, IndexUpdate | null>): Promise<void> {
  const path = join(gitdir, 'index');
  // No index yet (a work tree before its first commit): start from an empty one.
  const existing = await readFile(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  const { version, entries } = existing ? decodeIndexEntries(existing) : { version: 2, entries: [] as RawEntry[] };
  const names = new Set([...updates.keys()].map((k) => Buffer.from(k).toString('latin1')));
  const added = [...updates.values()]
    .filter((u) => u !== null)
    .map((u) => ({ name: Buffer.from(u.file.path), bytes: encodeEntry(u.file, u.stat) }))
    .sort((a, b) => Buffer.compare(a.name, b.name));
  const kept = entries.filter((e) => !names.has(e.name.toString('latin1')));
  // Both lists are sorted: merge them (an updated path replaces all of its stages).
  const merged: RawEntry[] = [];
  let k = 0;
  for (const a of added) {
    while (k < kept.length && Buffer.compare((kept[k] as RawEntry).name, a.name) < 0)
      merged.push(kept[k++] as RawEntry);
    merged.push(a);
  }
  while (k < kept.length) merged.push(kept[k++] as RawEntry);
  const tmp = `${path}.fluxdeck-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(
      tmp,
      withHeaderAndTrailer(
        version,
        merged.length,
        merged.map((e) => e.bytes),
      ),
    );
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
