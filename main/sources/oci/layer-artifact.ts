/**
 * An OCIRepository's artifact from the layer it selected (flux-behaviour.md §1.8): `copy` stores the layer's bytes as
 * they are (a Helm chart `.tgz` for `chartRef`), `extract` unpacks the tar+gzip layer and archives it again with the
 * `.sourceignore` and `spec.ignore` rules applied, as source-controller does, so consumers read a normal artifact.
 *
 * The layer streams: its bytes go to the artifact's temporary file while they are gunzipped and their tar entries
 * read, so a 50 MB layer is never one buffer (joining buffers that large costs more than the download on a laptop).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import { writeArchive } from '../artifacts/archive-writer.ts';
import type { Artifact, ArtifactOwner } from '../artifacts/artifact.ts';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import { addNode, archiveItems, type DirNode, newDir } from '../artifacts/source-tree.ts';
import { isFileEntry, safeRelative, TarReader } from '../artifacts/tar-format.ts';
import { messageOf, SourceError, SourceReason, storageFailed } from '../source-error.ts';

export interface LayerArtifactInput {
  owner: ArtifactOwner;
  /** The layer's bytes, whole or as they arrive; the registry client's stream fails when they miss their digest. */
  layer: Uint8Array | AsyncIterable<Buffer>;
  /**
   * The layer's descriptor digest when `layer` is a stream that fails unless its bytes match it: a `sha256:` one is
   * then the stored file's digest as it is, without hashing 50 MB a second time.
   */
  layerDigest?: string;
  /** The manifest digest (`sha256:<hex>`): names the file. */
  digest: string;
  revision: string;
  operation: 'extract' | 'copy';
  ignore?: string;
  signal?: AbortSignal;
}

const DIR_TYPE = '5';

export async function storeLayerArtifact(store: ArtifactStore, input: LayerArtifactInput): Promise<Artifact> {
  const name = input.digest.replace(/^sha256:/, '');
  const extract = input.operation === 'extract';
  const r = await store.reserve(input.owner, extract ? `${name}.tar.gz` : `${name}.tgz`);
  try {
    const what = `layer of ${input.revision}`;
    // While the layer arrives only its listing is read; file contents are read again from disk in the rare case the
    // artifact has to be rebuilt, so a large layer never sits in memory.
    const listing = extract ? new LayerTree(what, false) : undefined;
    const verified = input.layerDigest?.startsWith('sha256:') ? input.layerDigest : undefined;
    const raw = await receiveLayer(chunksOf(input.layer), r.tmpPath, listing, { verified, signal: input.signal });
    if (!listing) return await store.commit(r, { revision: input.revision, ...raw });
    // A layer of plain files and directories that the ignore rules leave whole already is the artifact: its bytes are
    // kept as they arrived instead of archiving the same files again, which is most of the cost of a large pull.
    const kept = archiveItems(listing.root, input.ignore).filter((i) => i.type === 'file').length;
    if (listing.plain && kept === listing.files) return await store.commit(r, { revision: input.revision, ...raw });
    const tree = new LayerTree(what, true);
    await tree.read(createReadStream(r.tmpPath).pipe(createGunzip()));
    const out = await writeArchive(archiveItems(tree.root, input.ignore), r.tmpPath, input.signal);
    return await store.commit(r, { revision: input.revision, digest: out.digest, size: out.size });
  } catch (err) {
    await store.discard(r);
    throw err;
  }
}

function chunksOf(layer: Uint8Array | AsyncIterable<Buffer>): AsyncIterable<Buffer> | Buffer[] {
  return layer instanceof Uint8Array ? [Buffer.from(layer.buffer, layer.byteOffset, layer.byteLength)] : layer;
}

/**
 * Writes the layer's bytes to `file` and hashes them; with a tree, gunzips them at the same time and reads the tar
 * entries into it, so decompression overlaps the download instead of following it.
 */
async function receiveLayer(
  chunks: AsyncIterable<Buffer> | Buffer[],
  file: string,
  tree: LayerTree | undefined,
  opts: { verified: string | undefined; signal: AbortSignal | undefined },
): Promise<{ digest: string; size: number }> {
  const { verified, signal } = opts;
  const hash = verified ? undefined : createHash('sha256');
  let size = 0;
  const out = createWriteStream(file, { mode: 0o600 });
  const written = finished(out);
  written.catch(() => undefined); // awaited below; an early disk error must not go unhandled meanwhile
  // Large output chunks: a tenth of the callbacks and allocations of zlib's 16 KiB default for a 50 MB layer.
  const gz = tree ? createGunzip({ chunkSize: 256 * 1024 }) : undefined;
  let parseError: Error | undefined;
  const parsed =
    gz && tree ? tree.read(gz).catch((err: unknown) => void (parseError = err as Error)) : Promise.resolve();
  try {
    for await (const chunk of chunks) {
      signal?.throwIfAborted();
      hash?.update(chunk);
      size += chunk.length;
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), written]);
      if (gz && parseError === undefined && !gz.destroyed && !gz.write(chunk))
        await Promise.race([once(gz, 'drain'), parsed]);
    }
    out.end();
    gz?.end();
    await Promise.all([written, parsed]);
  } catch (err) {
    out.destroy();
    gz?.destroy();
    throw err;
  }
  if (parseError !== undefined) throw parseError;
  return { digest: verified ?? `sha256:${hash?.digest('hex')}`, size };
}

/**
 * The layer's files as a tree; `plain` when it holds nothing but regular files and directories with safe names (links,
 * devices and hard links would be dropped by a rebuild, so such a layer is never stored as is).
 */
class LayerTree {
  readonly root: DirNode = newDir();
  files = 0;
  plain = true;
  private readonly tar: TarReader;
  private readonly what: string;

  /** Without data the tree is a listing: its files cannot be read. */
  constructor(what: string, withData: boolean) {
    this.what = what;
    this.tar = new TarReader({ data: withData });
  }

  async read(gunzipped: AsyncIterable<Buffer>): Promise<void> {
    try {
      for await (const chunk of gunzipped) this.push(chunk);
    } catch (err) {
      if (err instanceof SourceError) throw err;
      throw storageFailed(
        SourceReason.ReadOperationFailed,
        `${this.what} is not a valid gzip file: ${messageOf(err)}`,
        err,
      );
    }
    this.parse(() => this.tar.end());
  }

  private push(chunk: Buffer): void {
    this.parse(() => {
      for (const e of this.tar.push(chunk)) {
        const path = safeRelative(e.name);
        if (isFileEntry(e)) {
          const data = e.data;
          addNode(this.root, path, { kind: 'file', executable: (e.mode & 0o111) !== 0, read: () => data });
          this.files++;
        } else if (e.typeflag !== DIR_TYPE) this.plain = false;
      }
    });
  }

  private parse(step: () => void): void {
    try {
      step();
    } catch (err) {
      throw storageFailed(
        SourceReason.ReadOperationFailed,
        `${this.what} is not a valid tar archive: ${messageOf(err)}`,
        err,
      );
    }
  }
}
