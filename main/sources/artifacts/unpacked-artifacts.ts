/**
 * Unpacked artifacts kept in memory, by digest, for the consumers that open the same artifact again and again: every
 * Kustomization of a source builds from its one artifact, so 1,000 Kustomizations of a monorepo opened (read, hashed,
 * gunzipped and untarred) the same tarball 1,000 times. Profiled with `bench loop --apps 1000`, that was the main
 * thread's largest cost (zlib callbacks, tar parsing and the in-memory index: ~20 s of CPU) and most of its garbage.
 *
 * An artifact is content-addressed (its digest is the sha256 of its bytes, verified on the first read), so a kept one is
 * exactly what a new read would return. Entries are read-only for their users. Memory is bounded: at most `maxBytes`
 * of file contents (least recently used go first; an artifact larger than the bound is not kept), and an entry unused
 * for `idleMs` is dropped, so an idle workstation does not hold a fleet's manifests.
 */
import type { Artifact } from './artifact.ts';
import type { MemoryArtifact } from './open-artifact.ts';

type ArtifactKey = Pick<Artifact, 'path' | 'digest'>;

export interface UnpackedArtifactsOptions {
  /** Bound on the kept file contents, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** An entry not opened for this long is dropped (default 60 s). */
  idleMs?: number;
  now?: () => number;
}

interface Entry {
  value: Promise<MemoryArtifact>;
  bytes: number;
  usedAt: number;
}

export class UnpackedArtifacts {
  private readonly entries = new Map<string, Entry>();
  private readonly maxBytes: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private bytes = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly unpack: (artifact: ArtifactKey) => Promise<MemoryArtifact>;

  constructor(unpack: (artifact: ArtifactKey) => Promise<MemoryArtifact>, options: UnpackedArtifactsOptions = {}) {
    this.unpack = unpack;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.idleMs = options.idleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The artifact's files: kept ones at once, concurrent opens of the same digest share one read. */
  open(artifact: ArtifactKey): Promise<MemoryArtifact> {
    this.sweep();
    const hit = this.entries.get(artifact.digest);
    if (hit) {
      // Map order is the recency order: re-inserting makes this the most recently used.
      this.entries.delete(artifact.digest);
      this.entries.set(artifact.digest, hit);
      hit.usedAt = this.now();
      return hit.value;
    }
    const entry: Entry = { value: this.unpack(artifact), bytes: 0, usedAt: this.now() };
    this.entries.set(artifact.digest, entry);
    entry.value.then(
      (mem) => this.sized(artifact.digest, entry, mem),
      // A failed open is not kept: the next one tries again (the artifact may be rebuilt meanwhile).
      () => this.drop(artifact.digest, entry),
    );
    this.schedule();
    return entry.value;
  }

  /** Entries and bytes kept now (for stats and tests). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** Drops everything (engine shutdown). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sized(digest: string, entry: Entry, mem: MemoryArtifact): void {
    if (this.entries.get(digest) !== entry) return;
    let bytes = 0;
    for (const data of mem.files.values()) bytes += data.byteLength;
    entry.bytes = bytes;
    this.bytes += bytes;
    if (bytes > this.maxBytes) this.drop(digest, entry);
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      if (e !== entry) this.drop(key, e);
    }
  }

  private drop(digest: string, entry: Entry): void {
    if (this.entries.get(digest) !== entry) return;
    this.entries.delete(digest);
    this.bytes -= entry.bytes;
  }

  private sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [key, e] of this.entries) if (e.usedAt < cutoff) this.drop(key, e);
    if (this.entries.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Idle entries go even when nothing opens another artifact; the timer never keeps the process alive. */
  private schedule(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.idleMs);
    this.sweeper.unref();
  }
}
