/**
 * Artifact files under a data directory the caller chooses, laid out as source-controller's storage
 * (`<root>/gitrepository/<ns>/<name>/<file>`). Writes are atomic (a temporary file in the same directory, fsync,
 * rename), so a reader sees the old file or the new one, never half of one; each file has a `<file>.json` sidecar with
 * its Artifact record, so `latest()` can hand back the last good artifact after a restart. Garbage collection keeps
 * the newest N files and never deletes the one the caller says is current.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { messageOf, SourceReason, storageFailed } from '../source-error.ts';
import { type Artifact, type ArtifactOwner, artifactPath } from './artifact.ts';

export interface ArtifactStoreOptions {
  /** The storage root, e.g. `<app data>/artifacts`. */
  root: string;
  /**
   * Base of `artifact.url`. Fluxdeck serves no HTTP: the default is the address in-cluster source-controller
   * advertises (`--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.` in Flux's install),
   * see SOURCE_CONTROLLER_URL.
   */
  baseUrl?: string;
  /** How many artifacts per object GC keeps (Flux's `--artifact-retention-records`, default 2). */
  keep?: number;
}

/** A file being written: write to `tmpPath`, then `commit` or `discard`. */
export interface Reservation {
  tmpPath: string;
  path: string;
}

const SIDECAR = '.json';

/**
 * The artifact URL base Flux's own source-controller writes, so that status left behind at a hand-off to in-cluster
 * Flux is usable at once. kustomize-controller downloads `status.artifact.url` with retries: an address that does not
 * resolve (the old `http://fluxdeck.local/...`) is retried ten times with backoff (minutes) before the Kustomization
 * requeues, and a new URL for the same revision does not wake it (its source predicate fires on a new revision or a
 * first artifact only). source-controller's own address answers at once: 404 until source-controller, whose storage
 * does not hold the file, rebuilds it (kustomize-controller then says "Source is not ready, artifact not found" and
 * requeues, and source-controller's status rewrite — artifact cleared, then set — wakes it), or the file it rebuilt.
 */
export const SOURCE_CONTROLLER_URL = 'http://source-controller.flux-system.svc.cluster.local.';

export class ArtifactStore {
  readonly root: string;
  readonly baseUrl: string;
  readonly keep: number;
  /**
   * The digest each file was found to have, by the file's identity (inode, size, modification time). Every
   * Kustomization reconcile asks whether its source's artifact is still held: a thousand of them read the same record
   * a thousand times (bench clusters: 0.8 s of the main thread in file reads). Files are replaced by rename, never
   * rewritten in place, so another tarball at the path (another engine's) is another identity, and read again.
   */
  readonly #digests = new Map<string, { id: string; digest: string }>();

  constructor(opts: ArtifactStoreOptions) {
    this.root = resolve(opts.root);
    this.baseUrl = (opts.baseUrl ?? SOURCE_CONTROLLER_URL).replace(/\/+$/, '');
    this.keep = Math.max(1, opts.keep ?? 2);
  }

  /** Absolute path of an artifact; throws if its path would leave the root. */
  localPath(artifactOrPath: Pick<Artifact, 'path'> | string): string {
    const rel = typeof artifactOrPath === 'string' ? artifactOrPath : artifactOrPath.path;
    const abs = resolve(this.root, rel);
    if (!abs.startsWith(this.root + sep)) {
      throw storageFailed(SourceReason.InvalidPath, `artifact path '${rel}' is outside the storage root`);
    }
    return abs;
  }

  /** Prepares a temporary file next to where `file` will live. */
  async reserve(owner: ArtifactOwner, file: string): Promise<Reservation> {
    const path = artifactPath(owner, file);
    const dir = dirname(this.localPath(path));
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw storageFailed(
        SourceReason.DirCreationFailed,
        `failed to create artifact directory ${dir}: ${messageOf(err)}`,
        err,
      );
    }
    return { path, tmpPath: join(dir, `.tmp-${randomBytes(6).toString('hex')}-${file}`) };
  }

  /** Moves a written reservation into place and records it; returns the Artifact for status. */
  async commit(
    r: Reservation,
    meta: { revision: string; digest: string; size: number; metadata?: Record<string, string> },
  ): Promise<Artifact> {
    const final = this.localPath(r.path);
    try {
      const fh = await open(r.tmpPath, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      const artifact: Artifact = {
        path: r.path,
        url: `${this.baseUrl}/${r.path}`,
        revision: meta.revision,
        digest: meta.digest,
        lastUpdateTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        size: meta.size,
        ...(meta.metadata ? { metadata: meta.metadata } : {}),
      };
      await rename(r.tmpPath, final);
      await atomicWrite(final + SIDECAR, JSON.stringify(artifact));
      return artifact;
    } catch (err) {
      await this.discard(r);
      throw storageFailed(
        SourceReason.StorageOperationFailed,
        `failed to store artifact ${r.path}: ${messageOf(err)}`,
        err,
      );
    }
  }

  async discard(r: Reservation): Promise<void> {
    await rm(r.tmpPath, { force: true });
  }

  /** Writes bytes as an artifact (for sources that download a file whole). */
  async put(owner: ArtifactOwner, file: string, data: Uint8Array, revision: string): Promise<Artifact> {
    const r = await this.reserve(owner, file);
    try {
      await writeFile(r.tmpPath, data, { mode: 0o600 });
    } catch (err) {
      await this.discard(r);
      throw storageFailed(
        SourceReason.StorageOperationFailed,
        `failed to write artifact ${r.path}: ${messageOf(err)}`,
        err,
      );
    }
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    return this.commit(r, { revision, digest, size: data.length });
  }

  /**
   * True when storage holds this artifact: its file is there and was stored with its digest (the file's record says
   * so; with `verify`, or without a record, the bytes are hashed). Another engine (in-cluster Flux, another instance)
   * writes a different tarball for the same revision at the same path, so a file at the path is not enough: status
   * naming another digest means this store does not hold what status describes.
   */
  async exists(artifact: Pick<Artifact, 'path' | 'digest'>, opts: { verify?: boolean } = {}): Promise<boolean> {
    let abs: string | undefined;
    try {
      abs = this.localPath(artifact);
      const st = await stat(abs);
      if (!st.isFile()) return false;
      if (opts.verify) return (await digestOf(abs)) === artifact.digest;
      const id = `${st.ino}:${st.size}:${st.mtimeMs}`;
      let known = this.#digests.get(abs);
      if (known?.id !== id) {
        known = { id, digest: (await recordedDigest(abs)) ?? (await digestOf(abs)) };
        this.#digests.set(abs, known);
      }
      return known.digest === artifact.digest;
    } catch {
      if (abs) this.#digests.delete(abs);
      return false;
    }
  }

  /** Reads an artifact's bytes, checking the digest; a mismatch or a missing file is a ReadOperationFailed error. */
  async read(artifact: Pick<Artifact, 'path' | 'digest'>): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.localPath(artifact));
    } catch (err) {
      throw storageFailed(
        SourceReason.ReadOperationFailed,
        `artifact ${artifact.path} is not in storage: ${messageOf(err)}`,
        err,
      );
    }
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (digest !== artifact.digest) {
      throw storageFailed(
        SourceReason.ReadOperationFailed,
        `artifact ${artifact.path} has digest ${digest}, expected ${artifact.digest}: it was replaced or damaged; reconcile its source again`,
      );
    }
    return data;
  }

  /** The newest stored artifact of an object (by write time), from its sidecar record. */
  async latest(owner: ArtifactOwner): Promise<Artifact | undefined> {
    const records = await this.list(owner);
    return records[0];
  }

  /** Stored artifacts of an object, newest first. */
  async list(owner: ArtifactOwner): Promise<Artifact[]> {
    const { dir, names } = await this.entries(owner);
    const out: { a: Artifact; mtime: number }[] = [];
    for (const name of names) {
      if (!name.endsWith(SIDECAR) || name.startsWith('.tmp-')) continue;
      try {
        const a = JSON.parse(await readFile(join(dir, name), 'utf8')) as Artifact;
        const st = await stat(join(dir, name.slice(0, -SIDECAR.length)));
        out.push({ a, mtime: st.mtimeMs });
      } catch {
        // A record without its file (or unreadable) is not an artifact; GC removes it.
      }
    }
    return out.sort((x, y) => y.mtime - x.mtime).map((x) => x.a);
  }

  /**
   * Deletes all but the newest `keep` artifacts of an object, never `current`, plus leftover temporary files and
   * orphaned records. Returns the deleted paths (relative to the root).
   */
  async gc(owner: ArtifactOwner, opts: { current?: Pick<Artifact, 'path'>; keep?: number } = {}): Promise<string[]> {
    const keep = Math.max(1, opts.keep ?? this.keep);
    const { dir, names } = await this.entries(owner);
    const files: { name: string; mtime: number }[] = [];
    const deleted: string[] = [];
    for (const name of names) {
      const abs = join(dir, name);
      if (name.startsWith('.tmp-')) {
        // A temporary file older than a minute belongs to a build that died.
        const st = await stat(abs).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > 60_000) await rm(abs, { force: true });
        continue;
      }
      if (name.endsWith(SIDECAR)) {
        if (!names.includes(name.slice(0, -SIDECAR.length))) await rm(abs, { force: true });
        continue;
      }
      const st = await stat(abs).catch(() => undefined);
      if (st?.isFile()) files.push({ name, mtime: st.mtimeMs });
    }
    files.sort((a, b) => b.mtime - a.mtime);
    const current = opts.current ? this.localPath(opts.current) : undefined;
    let kept = 0;
    for (const f of files) {
      const abs = join(dir, f.name);
      if (abs === current || kept < keep) {
        kept++;
        continue;
      }
      await rm(abs, { force: true });
      await rm(abs + SIDECAR, { force: true });
      deleted.push(artifactPath(owner, f.name));
    }
    return deleted;
  }

  /** The object's artifact directory and the names in it (none when it does not exist). */
  private async entries(owner: ArtifactOwner): Promise<{ dir: string; names: string[] }> {
    const dir = dirname(this.localPath(artifactPath(owner, 'x')));
    const names = await readdir(dir).catch(() => [] as string[]);
    return { dir, names };
  }

  /** Removes every artifact of an object (when the object is deleted). */
  async removeAll(owner: ArtifactOwner): Promise<void> {
    await rm(dirname(this.localPath(artifactPath(owner, 'x'))), { recursive: true, force: true });
  }
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

/** The digest in a stored file's record, or undefined when it has no readable record. */
async function recordedDigest(abs: string): Promise<string | undefined> {
  try {
    const record = JSON.parse(await readFile(abs + SIDECAR, 'utf8')) as Partial<Artifact>;
    return typeof record.digest === 'string' ? record.digest : undefined;
  } catch {
    return undefined;
  }
}

export async function digestOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}
