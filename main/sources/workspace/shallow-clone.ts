/**
 * The editor's clone of one branch, made with the source fetcher's parts instead of isomorphic-git's clone: one
 * protocol v2 `fetch` at depth 1, the pack indexed once with native zlib as it arrives, the files written
 * synchronously in short slices and the index (`.git/index`) written directly from their stats; the event loop runs
 * between the slices.
 * isomorphic-git's clone inflates every object in JavaScript and writes the files one after another (3.8× `git clone
 * --depth 1` on 5,000 files, bench workspace).
 * The result is an ordinary repository: isomorphic-git (status, commit, fetch, push) and git both work in it.
 *
 * Returns 'unsupported' when the server does not speak protocol v2 with shallow fetches or the tree holds submodules,
 * before anything is written; the caller then clones with isomorphic-git.
 *
 * Tried and measured: indexing the pack and writing the files in a worker thread as the pack arrived (the files of a
 * blob written as the indexer named it). The main thread's longest turn went from ~60 to ~26 ms, but the clone was
 * slower on this 2-core machine with the git server on it (median 2.9 s against 2.4 s, 10 interleaved runs): the
 * worker's scan took the CPU the server needed, and creating 5,000 files is itself CPU (kernel time). Worth another
 * look for remote servers, where the download waits on the network rather than on a core.
 * Scanning the pack on the main thread as it arrives (below) was slower while the bench's git server ran in the same
 * process, whose thread relayed the pack; with the server in a process of its own, as a real one is, the scan ends
 * with the download and the clone is ~5% faster (stop 39: medians 510–541 against 534–553 ms).
 */
import * as fs from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import git from 'isomorphic-git';
import type { HttpClient } from 'isomorphic-git/http/node';

import { TurnBudget } from '../../util/turns.ts';
import { encodeIndex } from '../git/git-index.ts';
import { ObjectStore, parseCommit } from '../git/object-store.ts';
import { PackIndexer } from '../git/pack-indexer.ts';
import { SubmoduleFound, type TreeFile, treeFiles } from '../git/tree-edit.ts';
import { discoverV2, fetchV2, lsRefsV2 } from '../git/upload-pack-v2.ts';
import { workTreeSegments } from './work-tree-path.ts';
import { WorkspaceError } from './workspace-error.ts';

/**
 * The checkout writes files with synchronous calls, in slices of this many milliseconds between event-loop turns.
 * Through the thread pool (32 writes in flight, open/write/close/lstat each a round trip) 5,000 files took 310–390 ms;
 * synchronously 130–280 ms (bench workspace), and a slice this short is no lag anyone sees.
 */
const WRITE_SLICE_MS = 8;

/** Inflated blobs kept from indexing for the checkout; larger clones read the rest from the pack again. */
const KEEP_BLOB_BYTES = 256 * 1024 * 1024;

/**
 * Clones `branch` of `url` into `dir` (which must not exist yet) at depth 1, with remote `origin` and the branch
 * tracking it, as `git clone --depth 1 --single-branch --no-tags` leaves it.
 */
export async function cloneBranch(
  dir: string,
  url: string,
  branch: string,
  http: HttpClient,
): Promise<'cloned' | 'unsupported'> {
  const v2 = await discoverV2(http, url, {});
  if (!v2?.fetch.has('shallow')) return 'unsupported';
  const ref = `refs/heads/${branch}`;
  const tip = (await lsRefsV2(http, url, {}, ref)).find((r) => r.ref === ref);
  if (!tip) throw Object.assign(new Error(`the server has no branch ${branch}`), { code: 'NotFoundError' });

  const gitdir = join(dir, '.git');
  await git.init({ fs, dir, defaultBranch: branch });
  const packDir = join(gitdir, 'objects', 'pack');
  await mkdir(packDir, { recursive: true });
  const tmp = join(packDir, 'tmp-clone');
  // The checkout writes the blobs the indexer has just inflated (up to a memory budget) instead of inflating them
  // again from the pack: the second inflation was a fifth of a 5,000-file clone (bench workspace).
  const blobs = new Map<string, Buffer>();
  let kept = 0;
  const indexer = new PackIndexer({
    onObject: (oid, type, data) => {
      if (type !== 'blob' || kept + data.length > KEEP_BLOB_BYTES) return;
      blobs.set(oid, data);
      kept += data.length;
    },
  });
  // The pack is scanned as it arrives, each piece as it completes objects, rather than read back after the download.
  const res = await fetchV2(
    http,
    url,
    {},
    { wants: [tip.oid], haves: [], shallows: [], depth: 1 },
    { file: `${tmp}.pack`, onBytes: (chunk) => indexer.push(chunk) },
  );
  const indexed = indexer.finish(`${tmp}.pack`, `${tmp}.idx`);
  await rename(`${tmp}.pack`, join(packDir, `pack-${indexed.checksum}.pack`));
  await rename(`${tmp}.idx`, join(packDir, `pack-${indexed.checksum}.idx`));
  if (res.shallow.length > 0) await writeFile(join(gitdir, 'shallow'), [...res.shallow].sort().join('\n') + '\n');

  const store = new ObjectStore(gitdir);
  let files: TreeFile[];
  try {
    files = treeFiles(store, parseCommit(store.readTyped(tip.oid, 'commit')).tree);
  } catch (err) {
    store.close();
    if (err instanceof SubmoduleFound) return 'unsupported';
    throw err;
  }
  try {
    for (const f of files) refuseUnsafe(f.path, tip.oid);
    const entries = await checkout(dir, files, (oid) => blobs.get(oid) ?? store.readTyped(oid, 'blob'));
    await writeFile(join(gitdir, 'index'), encodeIndex(entries));
  } finally {
    store.close();
  }

  for (const [path, value] of [
    ['remote.origin.url', url],
    ['remote.origin.fetch', `+refs/heads/${branch}:refs/remotes/origin/${branch}`],
    [`branch.${branch}.remote`, 'origin'],
    [`branch.${branch}.merge`, ref],
  ] as const)
    await git.setConfig({ fs, dir, path, value });
  await git.writeRef({ fs, dir, ref, value: tip.oid, force: true });
  await git.writeRef({ fs, dir, ref: `refs/remotes/origin/${branch}`, value: tip.oid, force: true });
  await rm(join(gitdir, 'FETCH_HEAD'), { force: true });
  return 'cloned';
}

/**
 * A tree may name `..` or `.git` (git never makes one; a hostile server can send one): joined to the clone's
 * directory, such a path would write where the server chose. git refuses to check those out, and so does this, before
 * any file is written.
 */
function refuseUnsafe(path: string, commit: string): void {
  try {
    workTreeSegments(path);
  } catch (err) {
    const why = err instanceof WorkspaceError ? err.message : String(err);
    throw new WorkspaceError('path-refused', `commit ${commit} holds a path no checkout may write (${why})`, {
      cause: err,
    });
  }
}

/**
 * Writes a file and returns its stat, taken from the open descriptor: creating the file is most of a checkout's time
 * (about 0.1–0.2 ms a file here), and an lstat by path after writeFileSync walks the path a second time (5,000 files,
 * 6 rounds each: median 989 ms that way, 724 ms this way; writing from the thread pool, 8 at a time, was slower still).
 */
function writeFileStat(abs: string, data: Buffer, mode: number): fs.Stats {
  const fd = fs.openSync(abs, 'w', mode);
  try {
    for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done);
    return fs.fstatSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes the tree's files into `dir` and returns each with its stat, for the index. */
async function checkout(
  dir: string,
  files: TreeFile[],
  blob: (oid: string) => Buffer,
): Promise<{ file: TreeFile; stat: fs.Stats }[]> {
  const dirs = new Set(files.map((f) => dirname(f.path)).filter((d) => d !== '.'));
  for (const d of [...dirs].sort()) fs.mkdirSync(join(dir, d), { recursive: true });
  const budget = new TurnBudget(WRITE_SLICE_MS);
  const entries: { file: TreeFile; stat: fs.Stats }[] = [];
  for (const file of files) {
    const abs = join(dir, file.path);
    const data = blob(file.oid);
    if (file.mode === 0o120000) {
      fs.symlinkSync(data.toString('utf8'), abs);
      entries.push({ file, stat: fs.lstatSync(abs) });
    }
    // Created as git's checkout creates them: 0666 or 0777, less the umask.
    else entries.push({ file, stat: writeFileStat(abs, data, file.mode === 0o100755 ? 0o777 : 0o666) });
    await budget.pause();
  }
  return entries;
}
