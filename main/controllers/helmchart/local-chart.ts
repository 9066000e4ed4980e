import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'yaml';

import type { Artifact, Bucket, GitRepository } from '../../flux/source.ts';
import { extractArtifact } from '../../sources/artifacts/open-artifact.ts';
import { versionMetadata } from '../../sources/helm/chart-values.ts';
import {
  applyValuesFiles,
  type BuildDeps,
  inScratch,
  insideRoot,
  packageChart,
  patchedVersion,
  storeChart,
} from './chart-package.ts';
import { type BuildInput, BuildReason, type ChartBuild, ChartBuildError } from './ports.ts';

interface ChartMeta {
  name: string;
  version: string;
  dependencies: unknown[];
}

/** Chart.yaml of the chart at `spec.chart` in the source, or InvalidChartReference (Flux's LoadChartMetadata). */
async function chartMeta(root: string, chartPath: string): Promise<{ dir: string; meta: ChartMeta }> {
  const dir = insideRoot(root, chartPath);
  if (!dir) throw new ChartBuildError(BuildReason.ChartReference, `chart path '${chartPath}' leaves the source`);
  let doc: unknown;
  try {
    doc = parse(await readFile(join(dir, 'Chart.yaml'), 'utf8'));
  } catch (err) {
    throw new ChartBuildError(
      BuildReason.ChartReference,
      `failed to load chart metadata from '${chartPath}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no Chart.yaml found' : (err as Error).message}`,
      { cause: err },
    );
  }
  const m = (doc ?? {}) as Record<string, unknown>;
  if (typeof m.name !== 'string' || typeof m.version !== 'string')
    throw new ChartBuildError(
      BuildReason.ChartReference,
      `invalid chart metadata in '${chartPath}/Chart.yaml': name and version are required`,
    );
  return {
    dir,
    meta: { name: m.name, version: m.version, dependencies: Array.isArray(m.dependencies) ? m.dependencies : [] },
  };
}

/** `helm dependency build` (update without a Chart.lock): `file://` charts and charts from repositories by URL. */
async function buildDependencies(deps: BuildDeps, dir: string, signal: AbortSignal): Promise<void> {
  try {
    await deps.helm().call('dependencies', { path: dir }, { signal });
  } catch (err) {
    throw new ChartBuildError(BuildReason.DependencyBuild, (err as Error).message, { cause: err });
  }
}

/**
 * A chart from a GitRepository or Bucket artifact (source-controller's local builder): the artifact is extracted, the
 * chart at `spec.chart` gets its dependencies and values files, and is packaged at its version (plus Flux's build
 * metadata) unless the cached chart is that name and version already.
 */
export async function buildFromArtifact(
  deps: BuildDeps,
  input: BuildInput<GitRepository | Bucket>,
): Promise<ChartBuild> {
  const { chart, cached, signal } = input;
  const source = input.source;
  const artifact = source.status?.artifact as Artifact;
  return inScratch(async (scratch) => {
    const root = join(scratch, 'source');
    await extractArtifact(deps.store, artifact, root);
    const { dir, meta } = await chartMeta(root, chart.spec.chart);
    const valuesFiles = chart.spec.valuesFiles ?? [];
    const metadata = versionMetadata({
      strategy: chart.spec.reconcileStrategy,
      sourceKind: source.kind,
      sourceRevision: artifact.revision,
      generation: chart.metadata.generation ?? 0,
      hasValuesFiles: valuesFiles.length > 0,
    });
    const version = patchedVersion(meta.version, metadata);
    if (cached && cached.name === meta.name && cached.artifact.revision === version)
      return {
        name: meta.name,
        version,
        packaged: true,
        valuesFiles: chart.status?.observedValuesFiles ?? valuesFiles,
      };
    if (meta.dependencies.length > 0) await buildDependencies(deps, dir, signal);
    const used = await applyValuesFiles(chart, root, dir);
    const bytes = await packageChart(deps, dir, version, signal);
    return {
      name: meta.name,
      version,
      packaged: true,
      valuesFiles: used,
      artifact: await storeChart(deps, meta.name, version, bytes),
    };
  });
}
