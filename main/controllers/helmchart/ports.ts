import type { Artifact, Bucket, GitRepository, HelmChart, HelmRepository } from '../../flux/source.ts';
import type { SourceEvent } from '../source/ports.ts';

/**
 * What the HelmChart reconciler needs from the world. controller.ts wires these to the watch caches (the source),
 * main/sources/helm (index, download, values), the Helm helper (OCI pull, dependencies, package) and the store.
 */

export type ChartSource = HelmRepository | GitRepository | Bucket;

/** The source the chart's `sourceRef` names, as found in the watch cache. */
export type SourceLookup =
  | { found: false; message: string }
  | { found: true; source: ChartSource; artifact?: Artifact; artifactExists: boolean };

/** The stored chart a build may reuse: Flux's `CachedChart` (not used when the generation moved: `Force`). */
export interface CachedChart {
  artifact: Artifact;
  name: string;
}

/** One build's inputs: the chart, its source, the stored chart it may reuse, and the reconcile's signal. */
export interface BuildInput<S extends ChartSource = ChartSource> {
  chart: HelmChart;
  source: S;
  cached: CachedChart | undefined;
  signal: AbortSignal;
}

/** What a build produced (or found already stored). */
export interface ChartBuild {
  name: string;
  /** The artifact's revision: the chart version, with build metadata for Revision strategy or values files. */
  version: string;
  /** True when the chart was packaged here (Git/Bucket, or values files merged into a pulled chart). */
  packaged: boolean;
  /** The values files merged in, as Flux records them. */
  valuesFiles: string[];
  /** The new artifact; undefined when the cached chart already is this name and version. */
  artifact?: Artifact;
}

/** Flux's chart build failure reasons (source-controller internal/helm/chart/errors.go). */
export const BuildReason = {
  ChartReference: 'InvalidChartReference',
  ChartPull: 'ChartPullError',
  MetadataPatch: 'MetadataPatchError',
  ValuesFiles: 'ValuesFilesError',
  DependencyBuild: 'DependencyBuildError',
  ChartPackage: 'ChartPackageError',
  Unknown: 'Unknown',
} as const;
export type BuildReason = (typeof BuildReason)[keyof typeof BuildReason];

const SUMMARY: Record<BuildReason, string> = {
  InvalidChartReference: 'invalid chart reference',
  ChartPullError: 'chart pull error',
  MetadataPatchError: 'chart metadata patch error',
  ValuesFilesError: 'values files merge error',
  DependencyBuildError: 'dependency build error',
  ChartPackageError: 'chart package error',
  Unknown: 'unknown build error',
};

/** A failed build, with Flux's reason; the message is prefixed with the reason's summary as Flux's BuildError is. */
export class ChartBuildError extends Error {
  override readonly name = 'ChartBuildError';
  readonly reason: BuildReason;
  /** AuthenticationFailed and the like: raised as FetchFailed with this reason instead (secrets, URLs). */
  readonly fetchReason: string | undefined;
  constructor(reason: BuildReason, message: string, options?: ErrorOptions & { fetchReason?: string }) {
    super(`${SUMMARY[reason]}: ${message}`, options);
    this.reason = reason;
    this.fetchReason = options?.fetchReason;
  }
}

export interface HelmChartPorts {
  source(chart: HelmChart): Promise<SourceLookup>;
  build(input: BuildInput): Promise<ChartBuild>;
  artifactExists(artifact: Artifact): Promise<boolean>;
  deleteArtifacts(chart: HelmChart): Promise<void>;
  writeStatus(chart: HelmChart, status: NonNullable<HelmChart['status']>): Promise<void>;
  setFinalizer(chart: HelmChart, present: boolean): Promise<void>;
  event(chart: HelmChart, event: SourceEvent): void;
  now(): Date;
}
