/**
 * Streams archive items into a tar.gz file while hashing it: blobs are read one at a time, so memory holds one file
 * and zlib's window, not the tree. The gzip header is made platform-independent (zlib writes a different OS byte on
 * Windows), so the same tree gives the same bytes and the same `sha256:` digest everywhere one zlib version runs.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';

import type { ArchiveItem } from './source-tree.ts';
import { tarEntryBlocks, tarTrailer } from './tar-format.ts';

export interface ArchiveOutcome {
  digest: string;
  size: number;
  files: number;
}

/** Files loaded ahead of the one being written: enough to keep libuv's pool busy, few enough to bound memory. */
const READ_AHEAD = 32;
const BATCH_BYTES = 256 << 10;
const GZIP_OS_BYTE = 9;
const OS_UNIX = 3;

export async function writeArchive(
  items: ArchiveItem[],
  outFile: string,
  signal?: AbortSignal,
): Promise<ArchiveOutcome> {
  const hash = createHash('sha256');
  let size = 0;
  let first = true;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (first && chunk.length > GZIP_OS_BYTE) {
        chunk[GZIP_OS_BYTE] = OS_UNIX;
        first = false;
      }
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let files = 0;
  const entryBlocks = (item: ArchiveItem, data?: Uint8Array): Buffer[] => {
    if (item.type === 'dir') return tarEntryBlocks({ path: item.path, type: 'dir' });
    files++;
    return tarEntryBlocks({ path: item.path, type: 'file', executable: item.executable }, data);
  };
  const batch = new Batch();
  function* inMemory(): Generator<Buffer> {
    for (const item of items) {
      const full = batch.add(entryBlocks(item, 'read' in item ? item.read() : undefined));
      if (full) yield full;
    }
    yield batch.last(tarTrailer());
  }
  // Only when some file loads asynchronously: an await per entry is measurable on a 5,000-file Git tree.
  async function* loading(): AsyncGenerator<Buffer> {
    const loads = new Map<number, Promise<Uint8Array>>();
    let next = 0;
    for (const [i, item] of items.entries()) {
      for (; next < items.length && next < i + READ_AHEAD; next++) {
        const ahead = items[next];
        if (ahead?.type !== 'file' || !('load' in ahead)) continue;
        const p = ahead.load();
        p.catch(() => undefined); // awaited below, unless an earlier entry fails first
        loads.set(next, p);
      }
      const data = item.type === 'dir' ? undefined : 'read' in item ? item.read() : await loads.get(i);
      loads.delete(i);
      const full = batch.add(entryBlocks(item, data));
      if (full) yield full;
    }
    yield batch.last(tarTrailer());
  }
  const source = items.some((i) => i.type === 'file' && 'load' in i) ? loading() : inMemory();
  await pipeline(
    Readable.from(source, { objectMode: false, highWaterMark: 1 << 20 }),
    createGzip({ level: constants.Z_DEFAULT_COMPRESSION, chunkSize: 64 * 1024 }),
    tap,
    createWriteStream(outFile, { mode: 0o600 }),
    ...(signal ? [{ signal }] : []),
  );
  return { digest: `sha256:${hash.digest('hex')}`, size, files };
}

/**
 * Joins tar blocks into ~256 KiB writes. Each write to a zlib stream is one round trip to libuv's pool, and a tar of
 * small files is three short blocks per file: 15,000 writes made gzip of a 5,000-file, 19 MB tree take 1.1 s where
 * the same bytes in large writes take 0.4 s (bench bucket).
 */
class Batch {
  private parts: Buffer[] = [];
  private bytes = 0;

  add(blocks: readonly Buffer[]): Buffer | undefined {
    for (const b of blocks) {
      this.parts.push(b);
      this.bytes += b.length;
    }
    return this.bytes >= BATCH_BYTES ? this.take() : undefined;
  }

  last(blocks: Buffer): Buffer {
    this.add([blocks]);
    return this.take();
  }

  private take(): Buffer {
    const out = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return out;
  }
}
