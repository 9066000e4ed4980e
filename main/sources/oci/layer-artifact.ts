/**
 * An OCIRepository's artifact from the layer it selected (flux-behaviour.md §1.8): `copy` stores the layer's bytes as
 * they are (a Helm chart `.tgz` for `chartRef`), `extract` unpacks the tar+gzip layer and archives it again with the
 * `.sourceignore` and `spec.ignore` rules applied, as source-controller does, so consumers read a normal artifact.
 */
import { writeArchive } from '../artifacts/archive-writer.ts';
import type { Artifact, ArtifactOwner } from '../artifacts/artifact.ts';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import { unpackArtifact } from '../artifacts/open-artifact.ts';
import { archiveItems, type DirNode, newDir } from '../artifacts/source-tree.ts';

export interface LayerArtifactInput {
  owner: ArtifactOwner;
  /** The layer's bytes, digest-verified by the registry client. */
  layer: Uint8Array;
  /** The manifest digest (`sha256:<hex>`): names the file. */
  digest: string;
  revision: string;
  operation: 'extract' | 'copy';
  ignore?: string;
  signal?: AbortSignal;
}

export async function storeLayerArtifact(store: ArtifactStore, input: LayerArtifactInput): Promise<Artifact> {
  const name = input.digest.replace(/^sha256:/, '');
  if (input.operation === 'copy') return store.put(input.owner, `${name}.tgz`, input.layer, input.revision);
  const files = await unpackArtifact(input.layer, `layer of ${input.revision}`);
  const root = newDir();
  for (const [path, data] of files.files) addFile(root, path, data, files.executables.has(path));
  const items = archiveItems(root, input.ignore);
  const r = await store.reserve(input.owner, `${name}.tar.gz`);
  try {
    const out = await writeArchive(items, r.tmpPath, input.signal);
    return await store.commit(r, { revision: input.revision, digest: out.digest, size: out.size });
  } catch (err) {
    await store.discard(r);
    throw err;
  }
}

function addFile(root: DirNode, path: string, data: Uint8Array, executable: boolean): void {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    let next = dir.children.get(part);
    if (next?.kind !== 'dir') {
      next = newDir();
      dir.children.set(part, next);
    }
    dir = next;
  }
  const file = parts.at(-1);
  if (file) dir.children.set(file, { kind: 'file', executable, read: () => data });
}
