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
  function* blocks(): Generator<Buffer> {
    for (const item of items) {
      if (item.type === 'dir') {
        yield* tarEntryBlocks({ path: item.path, type: 'dir' });
      } else {
        files++;
        yield* tarEntryBlocks({ path: item.path, type: 'file', executable: item.executable }, item.read());
      }
    }
    yield tarTrailer();
  }
  await pipeline(
    Readable.from(blocks(), { objectMode: false, highWaterMark: 1 << 20 }),
    createGzip({ level: constants.Z_DEFAULT_COMPRESSION, chunkSize: 64 * 1024 }),
    tap,
    createWriteStream(outFile, { mode: 0o600 }),
    ...(signal ? [{ signal }] : []),
  );
  return { digest: `sha256:${hash.digest('hex')}`, size, files };
}
