/**
 * A Bucket source end to end below the controller: list the bucket into Flux's index and revision, then download
 * what the object cache lacks (bounded parallelism, every object checked against the listing) and archive the index
 * as the artifact tar.gz, deterministic like every artifact (main/sources/artifacts).
 *
 * Flux archives the downloaded tree with no filter (Storage.Archive(..., nil)), so unlike a GitRepository there are
 * no default exclusions and no nested `.sourceignore` files here: only the root `.sourceignore` object and
 * `spec.ignore`, applied to the listing (./bucket-index.ts).
 */
import { writeArchive } from '../artifacts/archive-writer.ts';
import type { Artifact, ArtifactOwner } from '../artifacts/artifact.ts';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import { compareBytes } from '../artifacts/source-ignore.ts';
import type { ArchiveItem } from '../artifacts/source-tree.ts';
import { BucketError, BucketReason } from './bucket-error.ts';
import { bucketIgnoreMatcher, buildIndex, IGNORE_FILE, indexRevision, objectPath } from './bucket-index.ts';
import { ObjectCache } from './object-cache.ts';
import { S3Client, type S3ClientOptions, S3Error } from './s3-client.ts';
import type { ListedObject } from './s3-xml.ts';

/** Default largest object: the artifact is built from files, and kustomize reads at most 64 MiB per build anyway. */
export const DEFAULT_MAX_OBJECT_BYTES = 64 << 20;

/** Where the bucket is and how to reach it (the client options without the per-call ones). */
export type BucketLocation = Omit<S3ClientOptions, 'signal' | 'maxObjectBytes' | 'maxSockets' | 'now'>;

export interface BucketListing {
  /** `sha256:<hex>` of the index (Flux's revision). */
  revision: string;
  objects: Map<string, ListedObject>;
}

export interface StoredBucket {
  artifact: Artifact;
  /** Objects downloaded by this call; the rest came from the cache. */
  downloaded: number;
  reused: number;
}

export interface BucketSourceOptions {
  /** Root of the per-object caches (`<data>/cache/bucket`). */
  cacheDir: string;
  store: ArtifactStore;
  maxObjectBytes?: number;
  /** Parallel downloads per bucket (Flux: 100; a workstation shares its uplink). */
  concurrency?: number;
}

export class BucketSource {
  private readonly opts: BucketSourceOptions;

  constructor(opts: BucketSourceOptions) {
    this.opts = opts;
  }

  private client(loc: BucketLocation, signal: AbortSignal | undefined): S3Client {
    return new S3Client({
      ...loc,
      ...(signal && { signal }),
      maxObjectBytes: this.opts.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
      maxSockets: this.concurrency(),
    });
  }

  private concurrency(): number {
    return this.opts.concurrency ?? 16;
  }

  /** Checks the bucket exists, reads the root `.sourceignore`, lists under `prefix` and computes the revision. */
  async index(
    loc: BucketLocation,
    filter: { prefix?: string; ignore?: string },
    signal?: AbortSignal,
  ): Promise<BucketListing> {
    const client = this.client(loc, signal);
    try {
      if (!(await client.bucketExists()))
        throw new BucketError(BucketReason.BucketOperationFailed, `bucket '${loc.bucket}' not found`);
      const sourceIgnore = await client.getObject(IGNORE_FILE).then(
        (b) => b.toString('utf8'),
        (err: unknown) => {
          if (err instanceof S3Error && err.code === 'object-not-found') return undefined;
          throw err;
        },
      );
      const listed = await client.listObjects(filter.prefix);
      const objects = buildIndex(listed, bucketIgnoreMatcher(sourceIgnore, filter.ignore));
      for (const key of objects.keys()) objectPath(key);
      return { revision: indexRevision(objects), objects };
    } catch (err) {
      throw bucketFailure(err, `failed to index bucket '${loc.bucket}'`);
    } finally {
      client.close();
    }
  }

  /** Downloads what the cache lacks and stores the artifact `<revision hex>.tar.gz` for `owner`. */
  async storeArtifact(
    owner: ArtifactOwner,
    loc: BucketLocation,
    listing: BucketListing,
    signal?: AbortSignal,
  ): Promise<StoredBucket> {
    const cache = new ObjectCache(cacheDirOf(this.opts.cacheDir, owner));
    const objects = [...listing.objects.values()];
    const cached = await Promise.all(objects.map((o) => cache.has(o.key, o.etag, o.size)));
    const missing = objects.filter((_o, i) => !cached[i]);
    const client = this.client(loc, signal);
    try {
      await inParallel(missing, this.concurrency(), async (o) => {
        const data = await client.getObject(o.key, { etag: o.etag, size: o.size });
        await cache.put(o.key, o.etag, data);
      });
    } catch (err) {
      throw bucketFailure(err, `fetch from bucket '${loc.bucket}' failed`);
    } finally {
      client.close();
    }
    const items = archiveItemsOf(objects, cache);
    const r = await this.opts.store.reserve(owner, `${listing.revision.replace(/^sha256:/, '')}.tar.gz`);
    let artifact: Artifact;
    try {
      const out = await writeArchive(items, r.tmpPath, signal);
      artifact = await this.opts.store.commit(r, { revision: listing.revision, digest: out.digest, size: out.size });
    } catch (err) {
      await this.opts.store.discard(r);
      throw new BucketError(
        BucketReason.ArchiveOperationFailed,
        `unable to archive artifact to storage: ${String(err)}`,
        {
          cause: err,
          condition: 'StorageOperationFailed',
        },
      );
    }
    await cache.retain(new Set(objects.map((o) => ObjectCache.entryName(o.key, o.etag))));
    return { artifact, downloaded: missing.length, reused: objects.length - missing.length };
  }

  /** Drops an object's cache (on deletion). */
  async forget(owner: ArtifactOwner): Promise<void> {
    await new ObjectCache(cacheDirOf(this.opts.cacheDir, owner)).clear();
  }
}

function cacheDirOf(root: string, owner: ArtifactOwner): string {
  return [root, owner.kind.toLowerCase(), owner.namespace, owner.name].join('/');
}

/** The tar entries in Go's filepath.Walk order: names in byte order, each directory before its contents. */
export function archiveItemsOf(objects: readonly ListedObject[], cache: ObjectCache): ArchiveItem[] {
  interface Dir {
    dirs: Map<string, Dir>;
    files: Map<string, ListedObject>;
  }
  const root: Dir = { dirs: new Map(), files: new Map() };
  for (const o of objects) {
    const parts = objectPath(o.key).split('/');
    const name = parts.pop() ?? '';
    let dir = root;
    for (const part of parts) {
      if (dir.files.has(part)) throw pathConflict(o.key, part);
      let next = dir.dirs.get(part);
      if (!next) dir.dirs.set(part, (next = { dirs: new Map(), files: new Map() }));
      dir = next;
    }
    if (dir.dirs.has(name) || dir.files.has(name)) throw pathConflict(o.key, name);
    dir.files.set(name, o);
  }
  const out: ArchiveItem[] = [];
  const walk = (dir: Dir, prefix: string): void => {
    const names = [...dir.dirs.keys(), ...dir.files.keys()].sort(compareBytes);
    for (const name of names) {
      const path = prefix ? `${prefix}/${name}` : name;
      const sub = dir.dirs.get(name);
      if (sub) {
        out.push({ path, type: 'dir' });
        walk(sub, path);
        continue;
      }
      const o = dir.files.get(name);
      if (o) out.push({ path, type: 'file', executable: false, read: () => cache.readSync(o.key, o.etag) });
    }
  };
  walk(root, '');
  return out;
}

function pathConflict(key: string, part: string): BucketError {
  return new BucketError(
    BucketReason.InvalidPath,
    `object key '${key}' collides with another object at '${part}' (a file and a directory, or two keys for one path); exclude one with spec.ignore`,
  );
}

/** An S3Error as a BucketError with Flux's reason; BucketErrors pass through. */
export function bucketFailure(err: unknown, what: string): Error {
  if (err instanceof BucketError) return err;
  if (err instanceof S3Error) {
    const reason = err.code === 'auth' ? BucketReason.AuthenticationFailed : BucketReason.BucketOperationFailed;
    return new BucketError(reason, `${what}: ${err.message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await run(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed as Error;
}
