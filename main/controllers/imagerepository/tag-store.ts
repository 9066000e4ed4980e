/**
 * The scanned tags of ImageRepositories, kept on disk in the app's data directory and not in etcd (Flux keeps them in
 * its BadgerDB for the same reason: thousands of tags do not belong in an object's status). One JSON file per
 * repository object and cluster; written to a temporary file and renamed, so a reader never sees half a list.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StoredTags {
  /** The `status.canonicalImageName` the tags were scanned for. */
  canonicalImageName: string;
  /** Sorted as Flux stores them: descending string order. */
  tags: string[];
  /** Flux's `lastScanResult.revision`: the adler32 of the JSON tag list. */
  revision: string;
}

export interface TagKey {
  cluster: string;
  namespace: string;
  name: string;
}

export class TagStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private file(key: TagKey): string {
    const safe = (s: string): string => encodeURIComponent(s).replace(/^\.+/, (d) => '%2E'.repeat(d.length));
    return join(this.root, safe(key.cluster), safe(key.namespace), `${safe(key.name)}.json`);
  }

  /** The stored tags, or undefined when the repository was never scanned (or its file is unreadable). */
  async read(key: TagKey): Promise<StoredTags | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.file(key), 'utf8')) as Partial<StoredTags>;
      if (typeof parsed.canonicalImageName !== 'string' || !Array.isArray(parsed.tags)) return undefined;
      return { canonicalImageName: parsed.canonicalImageName, tags: parsed.tags, revision: parsed.revision ?? '' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }

  /** Stores the tags (sorted descending, as Flux) and returns what was written, revision included. */
  async write(key: TagKey, canonicalImageName: string, tags: readonly string[]): Promise<StoredTags> {
    const sorted = sortTagsDescending(tags);
    const stored: StoredTags = { canonicalImageName, tags: sorted, revision: tagsRevision(sorted) };
    const file = this.file(key);
    await mkdir(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, JSON.stringify(stored));
    await rename(tmp, file);
    return stored;
  }

  async remove(key: TagKey): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}

/** Descending by code unit, as `slices.SortStableFunc(tags, -strings.Compare)` for the ASCII of tags. */
export function sortTagsDescending(tags: readonly string[]): string[] {
  return [...tags].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/**
 * Flux's revision of a tag set: `adler32` of the `json.Marshal`ed list, in decimal. Tags cannot hold the characters
 * Go's encoder escapes differently (`<`, `>`, `&`), so `JSON.stringify` gives the same bytes.
 */
export function tagsRevision(sortedTags: readonly string[]): string {
  const bytes = Buffer.from(JSON.stringify(sortedTags), 'utf8');
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String(((b << 16) | a) >>> 0);
}
