/**
 * A Bucket source end to end below the controller: list the bucket into Flux's index and revision, then download
 * what the object cache lacks (bounded parallelism, every object checked against the listing) and archive the index
 * as the artifact tar.gz, deterministic like every artifact (main/sources/artifacts).
 *
 * Flux archives the downloaded tree with no filter (Storage.Archive(..., nil)), so unlike a GitRepository there are
 * no default exclusions and no nested `.sourceignore` files here: only the root `.sourceignore` object and
 * `spec.ignore`, applied to the listing (./bucket-index.ts).
 */
import { mapPool } from '../../util/pool.ts';
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
    const cached = await cache.present(objects);
    const arrivals = new Map(objects.filter((_o, i) => !cached[i]).map((o) => [o.key, arrival()]));
    await cache.prepare();
    // Downloads run in archive order while the archive is written behind them: reads and gzip (on libuv's pool)
    // overlap the network instead of following it (bench bucket: the archive was 1.4 s of a 4.7 s first fetch).
    const { items, files } = archiveItemsOf(objects, cache, arrivals);
    const r = await this.opts.store.reserve(owner, `${listing.revision.replace(/^sha256:/, '')}.tar.gz`);
    const client = this.client(loc, signal);
    const downloads = mapPool(
      files.filter((o) => arrivals.has(o.key)),
      this.concurrency(),
      async (o) => {
        await cache.put(o.key, o.etag, await client.getObject(o.key, { etag: o.etag, size: o.size }));
        arrivals.get(o.key)?.settle();
      },
    ).then(
      () => undefined,
      (err: unknown) => {
        const failure = err instanceof Error ? err : new Error(String(err));
        for (const a of arrivals.values()) a.settle(failure);
        throw err;
      },
    );
    const archived = writeArchive(items, r.tmpPath, signal);
    const [fetched, written] = await Promise.allSettled([downloads.finally(() => client.close()), archived]);
    let artifact: Artifact;
    try {
      if (fetched.status === 'rejected')
        throw bucketFailure(fetched.reason, `fetch from bucket '${loc.bucket}' failed`);
      if (written.status === 'rejected')
        throw new BucketError(
          BucketReason.ArchiveOperationFailed,
          `unable to archive artifact to storage: ${String(written.reason)}`,
          { cause: written.reason, condition: 'StorageOperationFailed' },
        );
      const out = written.value;
      artifact = await this.opts.store.commit(r, { revision: listing.revision, digest: out.digest, size: out.size });
    } catch (err) {
      await this.opts.store.discard(r);
      throw err;
    }
    await cache.retain(new Set(objects.map((o) => ObjectCache.entryName(o.key, o.etag))));
    return { artifact, downloaded: arrivals.size, reused: objects.length - arrivals.size };
  }

  /** Drops an object's cache (on deletion). */
  async forget(owner: ArtifactOwner): Promise<void> {
    await new ObjectCache(cacheDirOf(this.opts.cacheDir, owner)).clear();
  }
}

function cacheDirOf(root: string, owner: ArtifactOwner): string {
  return [root, owner.kind.toLowerCase(), owner.namespace, owner.name].join('/');
}

/** An object still downloading: `ready` settles when it is in the cache (or rejects with the download's failure). */
interface Arrival {
  ready: Promise<void>;
  settle: (err?: Error) => void;
}

function arrival(): Arrival {
  let settle: Arrival['settle'] = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settle = (err) => (err === undefined ? resolve() : reject(err));
  });
  // The archive may stop before awaiting every arrival (an earlier failure); the downloads report the error.
  ready.catch(() => undefined);
  return { ready, settle };
}

/**
 * The tar entries in Go's filepath.Walk order (names in byte order, each directory before its contents), and the
 * objects in that order; an object in `arrivals` is read from the cache once its download settles.
 */
export function archiveItemsOf(
  objects: readonly ListedObject[],
  cache: ObjectCache,
  arrivals: ReadonlyMap<string, Arrival> = new Map(),
): { items: ArchiveItem[]; files: ListedObject[] } {
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
  const files: ListedObject[] = [];
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
      if (!o) continue;
      const read = (): Uint8Array => cache.readSync(o.key, o.etag);
      const arriving = arrivals.get(o.key)?.ready;
      if (!arriving) out.push({ path, type: 'file', executable: false, read });
      else out.push({ path, type: 'file', executable: false, load: () => arriving.then(read) });
      files.push(o);
    }
  };
  walk(root, '');
  return { items: out, files };
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
