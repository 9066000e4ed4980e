import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { writeArchive } from '../../../main/sources/artifacts/archive-writer.ts';
import type { ArchiveItem } from '../../../main/sources/artifacts/source-tree.ts';
import { readTar } from '../../../main/sources/artifacts/tar-format.ts';
import { ObjectCache } from '../../../main/sources/bucket/object-cache.ts';

const work = mkdtempSync(join(tmpdir(), 'archive-writer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Enough files, of uneven sizes, for many 256 KiB batches and a read-ahead window that wraps many times. */
const files = Array.from({ length: 400 }, (_, i) => ({
  path: `dir${i % 3}/file-${String(i).padStart(4, '0')}.yaml`,
  data: Buffer.from(`n: ${i}\n${'x'.repeat((i * 7919) % 5000)}\n`),
}));
const sorted = [...files].sort((a, b) => a.path.localeCompare(b.path));
const dirs: ArchiveItem[] = ['dir0', 'dir1', 'dir2'].map((path) => ({ path, type: 'dir' }));
const inOrder = (file: (f: (typeof sorted)[number], i: number) => ArchiveItem): ArchiveItem[] => [
  ...dirs,
  ...sorted.map(file),
];

const tarOf = (path: string) =>
  readTar(gunzipSync(readFileSync(path))).map((f) => ({ path: f.path, data: Buffer.from(f.data).toString() }));

describe('writeArchive', () => {
  it('writes the same bytes whether files are read at once or loaded as they arrive', async () => {
    const read = await writeArchive(
      inOrder((f) => ({ path: f.path, type: 'file', executable: false, read: () => f.data })),
      join(work, 'read.tar.gz'),
    );
    // Loads settle out of order (later files first), as parallel downloads do.
    const loaded = await writeArchive(
      inOrder((f, i) => ({
        path: f.path,
        type: 'file',
        executable: false,
        load: () => new Promise((resolve) => setTimeout(() => resolve(f.data), (sorted.length - i) % 5)),
      })),
      join(work, 'loaded.tar.gz'),
    );
    expect(loaded).toEqual(read);
    expect(read.files).toBe(files.length);
    expect(readFileSync(join(work, 'loaded.tar.gz')).equals(readFileSync(join(work, 'read.tar.gz')))).toBe(true);
    expect(tarOf(join(work, 'read.tar.gz'))).toEqual(sorted.map((f) => ({ path: f.path, data: f.data.toString() })));
  });

  it('fails with the failing load and leaves no unhandled rejection behind', async () => {
    const boom = new Error('object vanished');
    const items = inOrder((f, i) => ({
      path: f.path,
      type: 'file',
      executable: false,
      // Two failures inside one read-ahead window: the second is never awaited by the writer.
      load: () => (i === 10 || i === 12 ? Promise.reject(boom) : Promise.resolve(f.data)),
    }));
    await expect(writeArchive(items, join(work, 'failed.tar.gz'))).rejects.toBe(boom);
  });
});

describe('ObjectCache', () => {
  it('counts an entry only at the listed size, so a write cut short is fetched again', async () => {
    const cache = new ObjectCache(join(work, 'cache'));
    expect(await cache.present([{ key: 'a', etag: 'e1', size: 3 }])).toEqual([false]);
    await cache.prepare();
    await cache.put('a', 'e1', Buffer.from('abc'));
    await cache.put('b', 'e1', Buffer.from('ab'));
    const big = Buffer.alloc(300 << 10, 1); // above the synchronous-write size
    await cache.put('c', 'e1', big);
    expect(
      await cache.present([
        { key: 'a', etag: 'e1', size: 3 },
        { key: 'a', etag: 'e2', size: 3 },
        { key: 'b', etag: 'e1', size: 3 },
        { key: 'c', etag: 'e1', size: big.length },
      ]),
    ).toEqual([true, false, false, true]);
    expect(Buffer.from(cache.readSync('c', 'e1')).equals(big)).toBe(true);
  });
});
