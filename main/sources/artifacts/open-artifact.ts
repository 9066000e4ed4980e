/**
 * Opens an artifact for a consumer (the Kustomization build): verifies its digest, gunzips it off the event loop
 * (zlib's thread pool) and returns its files in memory, so nothing is untarred to disk (the step Flux users see as
 * kustomize-controller's bottleneck, fluxcd/flux2#5470). `extractArtifact` writes the files to a directory for tools
 * that need one.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, posix, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

import { messageOf, SourceReason, storageFailed } from '../source-error.ts';
import type { Artifact } from './artifact.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { readTar } from './tar-format.ts';

const gunzipAsync = promisify(gunzip);

export type ArtifactEntryKind = 'file' | 'dir';

/**
 * An artifact's files in memory. `kind`, `readFile` and `readDir` have the shape of the kustomize engine's BuildFs,
 * and `files` can be posted to a worker as is (a Map of Uint8Array).
 */
export class MemoryArtifact {
  readonly files: Map<string, Uint8Array>;
  readonly executables: ReadonlySet<string>;
  private readonly dirs = new Map<string, Set<string>>([['', new Set()]]);

  constructor(files: Map<string, Uint8Array>, executables: Set<string> = new Set()) {
    this.files = files;
    this.executables = executables;
    for (const path of files.keys()) {
      let child = path;
      for (let dir = parentOf(path); ; dir = parentOf(dir)) {
        const set = this.dirs.get(dir) ?? new Set<string>();
        set.add(posix.basename(child));
        this.dirs.set(dir, set);
        if (dir === '') break;
        child = dir;
      }
    }
  }

  kind(path: string): ArtifactEntryKind | undefined {
    const p = clean(path);
    if (this.files.has(p)) return 'file';
    return this.dirs.has(p) ? 'dir' : undefined;
  }

  readFile(path: string): Uint8Array {
    const data = this.files.get(clean(path));
    if (!data) throw new Error(`no file '${path}' in the artifact`);
    return data;
  }

  readDir(path: string): string[] {
    const set = this.dirs.get(clean(path));
    if (!set) throw new Error(`no directory '${path}' in the artifact`);
    return [...set].sort();
  }
}

function clean(path: string): string {
  return posix.normalize(path).replace(/^(\.\/)+|^\.$|^\/+|\/+$/g, '');
}

function parentOf(path: string): string {
  const d = posix.dirname(path);
  return d === '.' ? '' : d;
}

/** Reads, verifies and unpacks an artifact into memory. */
export async function openArtifact(
  store: ArtifactStore,
  artifact: Pick<Artifact, 'path' | 'digest'>,
): Promise<MemoryArtifact> {
  const gz = await store.read(artifact);
  return unpackArtifact(gz, artifact.path);
}

/** The tar inside gzip bytes, or a ReadOperationFailed naming `name` when they are not gzip. */
export async function gunzipArtifact(gz: Uint8Array, name: string): Promise<Buffer> {
  try {
    return await gunzipAsync(gz);
  } catch (err) {
    throw storageFailed(SourceReason.ReadOperationFailed, `${name} is not a valid gzip file: ${messageOf(err)}`, err);
  }
}

/** Unpacks tar.gz bytes (already verified) into memory. */
export async function unpackArtifact(gz: Uint8Array, name = 'artifact'): Promise<MemoryArtifact> {
  const tar = await gunzipArtifact(gz, name);
  const files = new Map<string, Uint8Array>();
  const exec = new Set<string>();
  try {
    for (const f of readTar(tar)) {
      if (f.path === '') continue;
      files.set(f.path, f.data);
      if (f.executable) exec.add(f.path);
    }
  } catch (err) {
    throw storageFailed(SourceReason.ReadOperationFailed, `${name} is not a valid tar archive: ${messageOf(err)}`, err);
  }
  return new MemoryArtifact(files, exec);
}

/** Writes an artifact's files under `dir` (created if needed); returns how many files were written. */
export async function extractArtifact(
  store: ArtifactStore,
  artifact: Pick<Artifact, 'path' | 'digest'>,
  dir: string,
): Promise<number> {
  return writeArtifactFiles(await openArtifact(store, artifact), dir);
}

/** Writes unpacked files under `dir`, refusing any entry that would land outside it; returns the file count. */
export async function writeArtifactFiles(mem: MemoryArtifact, dir: string): Promise<number> {
  const root = resolve(dir);
  for (const [path, data] of mem.files) {
    const abs = resolve(root, path);
    if (!abs.startsWith(root + sep))
      throw storageFailed(SourceReason.InvalidPath, `artifact entry '${path}' leaves ${dir}`);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, data);
    if (mem.executables.has(path)) await chmod(abs, 0o755);
  }
  return mem.files.size;
}
