import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ArtifactStore } from '../../../main/sources/artifacts/artifact-store.ts';
import { openArtifact } from '../../../main/sources/artifacts/open-artifact.ts';
import { tarEntryBlocks, tarTrailer } from '../../../main/sources/artifacts/tar-format.ts';
import { storeLayerArtifact } from '../../../main/sources/oci/layer-artifact.ts';

/** A raw ustar header, for entries the archive writer never produces (links, hostile names). */
function header(name: string, typeflag: string, size = 0, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(typeflag, 156);
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(' ', 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

const file = (path: string, text: string): Buffer[] => tarEntryBlocks({ path, type: 'file' }, Buffer.from(text));
const layerOf = (...entries: Buffer[][]): Buffer => gzipSync(Buffer.concat([...entries.flat(), tarTrailer()]));
const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let store: ArtifactStore;
let dir: string;
const owner = { kind: 'OCIRepository', namespace: 'ns', name: 'app' };
const input = (layer: Buffer, ignore?: string) => ({
  owner,
  layer,
  digest: `sha256:${'a'.repeat(64)}`,
  revision: 'v1@sha256:abc',
  operation: 'extract' as const,
  ...(ignore !== undefined && { ignore }),
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-layer-'));
  store = new ArtifactStore({ root: dir });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('storeLayerArtifact (extract)', () => {
  it('stores a layer of plain files that the ignore rules leave whole as it is', async () => {
    const layer = layerOf(tarEntryBlocks({ path: 'deploy', type: 'dir' }), file('deploy/cm.yaml', 'kind: ConfigMap\n'));
    const artifact = await storeLayerArtifact(store, input(layer));
    expect(artifact.digest).toBe(sha256(layer));
    expect((await openArtifact(store, artifact)).files.get('deploy/cm.yaml')?.toString()).toBe('kind: ConfigMap\n');
  });

  it('archives again without what spec.ignore excludes', async () => {
    const layer = layerOf(file('app.yaml', 'a'), file('notes.md', 'b'));
    const artifact = await storeLayerArtifact(store, input(layer, '*.md'));
    expect(artifact.digest).not.toBe(sha256(layer));
    expect([...(await openArtifact(store, artifact)).files.keys()]).toEqual(['app.yaml']);
  });

  it('never stores a symbolic link: the layer is archived again without it', async () => {
    const layer = layerOf(file('app.yaml', 'a'), [header('escape', '2', 0, '/etc/passwd')]);
    const artifact = await storeLayerArtifact(store, input(layer));
    expect(artifact.digest).not.toBe(sha256(layer));
    expect([...(await openArtifact(store, artifact)).files.keys()]).toEqual(['app.yaml']);
  });

  it('refuses entries that climb out of the root, naming the layer', async () => {
    const hostile = layerOf([header('../../evil.yaml', '0', 1), Buffer.alloc(512)]);
    await expect(storeLayerArtifact(store, input(hostile))).rejects.toThrow(
      /layer of v1@sha256:abc is not a valid tar archive: .*climbs out/,
    );
  });

  it('says a layer that is not gzip is not a valid gzip file', async () => {
    await expect(storeLayerArtifact(store, input(Buffer.from('plain text')))).rejects.toThrow(
      /layer of v1@sha256:abc is not a valid gzip file/,
    );
  });

  it('reads a layer that arrives in pieces as it reads one whole, keeping the verified digest', async () => {
    const layer = layerOf(file('a.yaml', 'a'.repeat(3000)), file('b/c.yaml', 'c'), file('notes.md', 'n'));
    function* pieces(): Generator<Buffer> {
      for (let i = 0; i < layer.length; i += 97) yield layer.subarray(i, i + 97);
    }
    const stream = Readable.from(pieces(), { objectMode: false });
    const streamed = await storeLayerArtifact(store, { ...input(stream as never), layerDigest: sha256(layer) });
    expect(streamed.digest).toBe(sha256(layer));
    const files = (await openArtifact(store, streamed)).files;
    expect([...files.keys()].sort()).toEqual(['a.yaml', 'b/c.yaml', 'notes.md']);
    expect(files.get('a.yaml')?.toString()).toBe('a'.repeat(3000));
  });

  it('keeps nothing when the layer stream fails part way (a digest mismatch or a cut connection)', async () => {
    const layer = layerOf(file('a.yaml', 'a'.repeat(5000)));
    const broken = new Readable({
      read() {
        this.push(layer.subarray(0, 100));
        this.destroy(new Error('blob does not match its digest'));
      },
    });
    await expect(storeLayerArtifact(store, input(broken as never))).rejects.toThrow(/does not match its digest/);
    expect(await store.list(owner)).toEqual([]);
    expect(await readdir(join(dir, 'ocirepository', 'ns', 'app'))).toEqual([]);
  });
});
