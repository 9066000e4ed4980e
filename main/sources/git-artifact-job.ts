/**
 * Builds a GitRepository's artifact file from a fetched commit: the commit's tree, the includes copied in, links
 * resolved, ignore rules applied, written as a deterministic tar.gz. All CPU work (inflating blobs, tar, gzip,
 * sha256) happens here, which is why it is a plain-data job that a worker thread can run (see source-worker.ts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

import { writeArchive } from './artifacts/archive-writer.ts';
import { applyInclude, archiveItems, resolveLinks } from './artifacts/source-tree.ts';
import { readTar } from './artifacts/tar-format.ts';
import { dropCache, withRepoLock } from './git/git-fetch.ts';
import { commitTree, GitCacheError } from './git/git-tree.ts';
import { ObjectStore } from './git/object-store.ts';
import { includeFailed, messageOf, SourceError, SourceReason, storageFailed } from './source-error.ts';

const gunzipAsync = promisify(gunzip);

export interface IncludeJob {
  /** The included GitRepository's name (default toPath, and messages). */
  name: string;
  /** Absolute path of its artifact file. */
  file: string;
  digest: string;
  fromPath?: string;
  toPath?: string;
}

export interface ArchiveJob {
  gitdir: string;
  commit: string;
  ignore?: string;
  includes: IncludeJob[];
  /** Where to write the tar.gz (a reservation's temporary file). */
  outFile: string;
}

export interface ArchiveJobResult {
  digest: string;
  size: number;
  files: number;
  /** Links whose target does not exist; left out, as Flux does. */
  brokenLinks: string[];
}

/** Runs under the repository's lock, so a fetch into the same cache (or a cache reset) cannot change it mid-read. */
export function runArchiveJob(job: ArchiveJob, signal?: AbortSignal): Promise<ArchiveJobResult> {
  return withRepoLock(job.gitdir, () => archive(job, signal));
}

async function archive(job: ArchiveJob, signal?: AbortSignal): Promise<ArchiveJobResult> {
  let store: ObjectStore;
  try {
    store = new ObjectStore(job.gitdir);
  } catch (err) {
    throw await cacheDamaged(job, err);
  }
  try {
    let root;
    try {
      root = commitTree(store, job.commit);
    } catch (err) {
      throw await cacheDamaged(job, err);
    }
    for (const inc of job.includes) {
      applyInclude(root, {
        name: inc.name,
        files: await includedFiles(inc),
        fromPath: inc.fromPath,
        toPath: inc.toPath,
      });
    }
    const brokenLinks = resolveLinks(root);
    const items = archiveItems(root, job.ignore);
    try {
      const out = await writeArchive(items, job.outFile, signal);
      return { ...out, brokenLinks };
    } catch (err) {
      if (err instanceof SourceError) throw err;
      if (err instanceof GitCacheError) throw await cacheDamaged(job, err);
      throw storageFailed(
        SourceReason.ArchiveOperationFailed,
        `unable to archive artifact to storage: ${messageOf(err)}`,
        err,
      );
    }
  } finally {
    store.close();
  }
}

/** The cache cannot give the commit's files: reset it, so the next fetch downloads them again. */
async function cacheDamaged(job: ArchiveJob, err: unknown): Promise<SourceError> {
  await dropCache(job.gitdir);
  return storageFailed(
    SourceReason.ArchiveOperationFailed,
    `cannot read commit ${job.commit} from the git cache (${messageOf(err)}); the cache was reset and the next reconcile fetches it again`,
    err,
  );
}

async function includedFiles(inc: IncludeJob): Promise<{ path: string; data: Uint8Array; executable: boolean }[]> {
  let gz: Buffer;
  try {
    gz = await readFile(inc.file);
  } catch (err) {
    throw includeFailed(
      SourceReason.NoArtifact,
      `no artifact available for include '${inc.name}': ${messageOf(err)}`,
      err,
    );
  }
  const digest = `sha256:${createHash('sha256').update(gz).digest('hex')}`;
  if (digest !== inc.digest) {
    throw includeFailed(
      SourceReason.NoArtifact,
      `artifact of include '${inc.name}' does not match its digest ${inc.digest}; it is being replaced, retry after it reconciles`,
    );
  }
  try {
    return readTar(await gunzipAsync(gz));
  } catch (err) {
    throw includeFailed(
      SourceReason.NoArtifact,
      `artifact of include '${inc.name}' cannot be read: ${messageOf(err)}`,
      err,
    );
  }
}
