/** Messages between the build pool and its workers: structured-cloneable on purpose. */
import type { KubeObject } from '../util/kube-object.ts';
import type { BuildOptions } from './build.ts';
import type { KustomizeErrorInfo } from './errors.ts';
import type { FluxBuildOptions, FluxKustomizationSpec } from './flux.ts';

export interface WorkerBuildRequest {
  id: number;
  /** In-memory files (path → contents); when absent, `root` is a directory on disk. */
  files?: Map<string, Uint8Array | string>;
  /**
   * Names `files` for good (an artifact's digest): a worker keeps the indexed tree under this name, and the pool leaves
   * `files` out of the request when the worker already holds it (see build-pool.ts).
   */
  filesKey?: string;
  /** Trees the worker may forget (the pool's choice, so both sides agree on what a worker holds). */
  forget?: string[];
  root?: string;
  /** The kustomization directory, relative to the files' root. */
  dir: string;
  options?: BuildOptions;
  /** When set, a Flux build of this Kustomization spec instead of a plain kustomize build. */
  flux?: FluxKustomizationSpec;
  fluxOptions?: FluxBuildOptions;
}

export type WorkerBuildReply =
  | { id: number; objects: KubeObject[]; error?: undefined }
  | { id: number; error: KustomizeErrorInfo & { name: string }; objects?: undefined };
