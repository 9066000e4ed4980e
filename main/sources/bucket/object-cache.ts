/**
 * Objects fetched from a bucket, kept on disk between reconciles so the next fetch downloads only objects whose ETag
 * changed (an S3 ETag changes whenever the content does). One directory per Bucket object; a file per (key, ETag),
 * named by their hash, so a key needs no escaping and an old version is simply not looked up again. Writes are atomic
 * (temporary file, rename): a crash leaves either no entry or a whole one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class ObjectCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  static entryName(key: string, etag: string): string {
    return createHash('sha256').update(`${key}\n${etag}`, 'utf8').digest('hex');
  }

  pathOf(key: string, etag: string): string {
    return join(this.dir, ObjectCache.entryName(key, etag));
  }

  /** True when the object at this ETag is cached with the expected size. */
  async has(key: string, etag: string, size: number): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key, etag))).size === size;
    } catch {
      return false;
    }
  }

  async put(key: string, etag: string, data: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const final = this.pathOf(key, etag);
    const tmp = `${final}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, final);
  }

  /** Synchronous on purpose: the archive writer reads one file at a time while it streams. */
  readSync(key: string, etag: string): Uint8Array {
    return readFileSync(this.pathOf(key, etag));
  }

  /** Deletes every entry not in `keep` (entry names), and leftover temporary files. */
  async retain(keep: ReadonlySet<string>): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    const drop = names.filter((n) => !keep.has(n));
    await Promise.all(drop.map((n) => rm(join(this.dir, n), { force: true })));
    return drop.length;
  }

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
