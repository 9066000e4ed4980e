/** The kustomize build engine: see README.md beside this file. */
export { build, type BuildOptions, type BuildResult } from './build.ts';
export { buildInWorker, type WorkerBuildRequest, WorkerPool } from './build-pool.ts';
export { KustomizeError, type KustomizeErrorInfo } from './errors.ts';
export { fluxBuild, type FluxBuildOptions, type FluxKustomizationSpec, parseFluxKustomization } from './flux.ts';
export { type BuildFs, MemoryFs, NodeFs, type NodeFsOptions, openDirectory } from './fs.ts';
export { contentHash } from './hash.ts';
export { buildWithHelm, type HelmRenderer, type HelmTemplateRequest } from './helm-charts.ts';
export type { Selector } from './selector.ts';
export { parseLabelSelector } from './selector.ts';
export { strategicMerge } from './strategic-merge.ts';
export { substitute, SUBSTITUTE_KEY, type SubstituteOptions } from './substitute.ts';
export { toYaml, toYamlStream } from './yaml-emit.ts';
export { parseYamlStream } from './yaml-parse.ts';
