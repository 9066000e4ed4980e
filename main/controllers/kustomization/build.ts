import { kustomizationDir } from '../../contract/index.ts';
import type { Kustomization } from '../../flux/kustomize.ts';
import type { WorkerBuildRequest } from '../../kustomize/index.ts';
import type { KubeObject } from '../../util/kube-object.ts';

/**
 * The one build of a Kustomization: its `spec.path` in a tree of files, with its Flux fields (namespace, name
 * prefix, patches, images, ...) overlaid and its post-build variables substituted, in a build worker. The reconciler
 * (from the source's artifact), the panel's diff and the editor's preview (from a work tree) and `fluxdeck diff`
 * (from a local directory) all build through here, so what they show is what would be applied.
 */

/**
 * The files to build from: in memory (an artifact's) or a directory on disk (a work tree, a local checkout).
 * `filesKey` names in-memory files that never change under that name (an artifact's digest): the build pool then sends them to a
 * worker once, and later builds of the same tree only name it.
 */
export type BuildTree = { files: Map<string, Uint8Array | string>; filesKey?: string } | { root: string };

/** An artifact's files as the reconciler holds them between opening and building. */
export interface ArtifactTree {
  files: Map<string, Uint8Array>;
  filesKey: string;
}

/** Where builds run: the composition root's bounded WorkerPool (main/kustomize/build-pool.ts). */
export interface BuildWorkers {
  run(req: Omit<WorkerBuildRequest, 'id'>): Promise<KubeObject[]>;
}

export interface BuildOptions {
  /** postBuild variables (variables.ts); undefined means substitution does not run. */
  vars?: Record<string, string>;
  signal: AbortSignal;
}

export function buildKustomization(
  workers: BuildWorkers,
  ks: Kustomization,
  tree: BuildTree,
  opts: BuildOptions,
): Promise<KubeObject[]> {
  opts.signal.throwIfAborted();
  const { sourceRef: _source, ...spec } = ks.spec;
  return workers.run({
    ...tree,
    dir: kustomizationDir(ks.spec.path),
    flux: spec,
    fluxOptions: opts.vars ? { substituteFrom: opts.vars } : {},
  });
}

/** True if some file lies under `spec.path` (artifacts hold files only, like Flux's tarballs). */
export function hasDirectory(files: Map<string, Uint8Array>, specPath: string): boolean {
  const dir = kustomizationDir(specPath);
  if (dir === '') return files.size > 0;
  for (const f of files.keys()) if (f.startsWith(`${dir}/`)) return true;
  return false;
}
