/**
 * An OCIRepository's artifact from the layer it selected (flux-behaviour.md §1.8): `copy` stores the layer's bytes as
 * they are (a Helm chart `.tgz` for `chartRef`), `extract` unpacks the tar+gzip layer and archives it again with the
 * `.sourceignore` and `spec.ignore` rules applied, as source-controller does, so consumers read a normal artifact.
 */
import { writeArchive } from '../artifacts/archive-writer.ts';
import type { Artifact, ArtifactOwner } from '../artifacts/artifact.ts';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import { gunzipArtifact } from '../artifacts/open-artifact.ts';
import { addNode, archiveItems, type DirNode, newDir } from '../artifacts/source-tree.ts';
import { isFileEntry, safeRelative, tarEntries } from '../artifacts/tar-format.ts';
import { messageOf, SourceReason, storageFailed } from '../source-error.ts';

export interface LayerArtifactInput {
  owner: ArtifactOwner;
  /** The layer's bytes, digest-verified by the registry client. */
  layer: Uint8Array;
  /** The manifest digest (`sha256:<hex>`): names the file. */
  digest: string;
  revision: string;
  operation: 'extract' | 'copy';
  ignore?: string;
  /** The layer already gunzipped (while it downloaded); gunzipped here when absent. */
  tar?: Uint8Array;
  signal?: AbortSignal;
}

const DIR_TYPE = '5';

export async function storeLayerArtifact(store: ArtifactStore, input: LayerArtifactInput): Promise<Artifact> {
  const name = input.digest.replace(/^sha256:/, '');
  if (input.operation === 'copy') return store.put(input.owner, `${name}.tgz`, input.layer, input.revision);
  const what = `layer of ${input.revision}`;
  const layer = layerTree(input.tar ?? (await gunzipArtifact(input.layer, what)), what);
  const items = archiveItems(layer.root, input.ignore);
  // A layer of plain files and directories that the ignore rules leave whole already is the artifact: its bytes are
  // stored as they are instead of archiving the same files again, which is most of the cost of a large pull.
  if (layer.plain && items.filter((i) => i.type === 'file').length === layer.files)
    return store.put(input.owner, `${name}.tar.gz`, input.layer, input.revision);
  const r = await store.reserve(input.owner, `${name}.tar.gz`);
  try {
    const out = await writeArchive(items, r.tmpPath, input.signal);
    return await store.commit(r, { revision: input.revision, digest: out.digest, size: out.size });
  } catch (err) {
    await store.discard(r);
    throw err;
  }
}

/**
 * The layer's files as a tree; `plain` when it holds nothing but regular files and directories with safe names (links,
 * devices and hard links would be dropped by a rebuild, so such a layer is never stored as is).
 */
function layerTree(tar: Uint8Array, what: string): { root: DirNode; files: number; plain: boolean } {
  const root = newDir();
  let files = 0;
  let plain = true;
  try {
    for (const e of tarEntries(tar)) {
      const path = safeRelative(e.name);
      if (isFileEntry(e)) {
        const data = e.data;
        addNode(root, path, { kind: 'file', executable: (e.mode & 0o111) !== 0, read: () => data });
        files++;
      } else if (e.typeflag !== DIR_TYPE) plain = false;
    }
  } catch (err) {
    throw storageFailed(SourceReason.ReadOperationFailed, `${what} is not a valid tar archive: ${messageOf(err)}`, err);
  }
  return { root, files, plain };
}
