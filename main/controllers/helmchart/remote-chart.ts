import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { type HelmChart, type HelmRepository, sourceTimeoutMs } from '../../flux/source.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { unpackArtifact } from '../../sources/artifacts/open-artifact.ts';
import {
  chartDownloadURL,
  ChartIndexError,
  type IndexChartVersion,
  parseIndex,
  selectChartVersion,
} from '../../sources/helm/chart-index.ts';
import { versionMetadata } from '../../sources/helm/chart-values.ts';
import { httpGet } from '../../sources/helm/http-get.ts';
import { sameOrigin } from '../../util/http-redirect.ts';
import { repositoryAuth } from '../helmrepository/repository-auth.ts';
import {
  applyValuesFiles,
  type BuildDeps,
  inScratch,
  packageChart,
  patchedVersion,
  storeChart,
} from './chart-package.ts';
import { type BuildInput, BuildReason, type ChartBuild, ChartBuildError } from './ports.ts';
import { secretFailure } from './source-auth.ts';

/** A chart archive larger than this is refused (Helm's own limit for charts is far above any sane chart). */
export const MAX_CHART_BYTES = 100 * 1024 * 1024;

export interface RemoteDeps extends BuildDeps {
  client: ClusterClient;
}

/** The index the HelmRepository stored, and the chart version `spec.version` selects in it. */
async function resolveEntry(deps: RemoteDeps, chart: HelmChart, repo: HelmRepository): Promise<IndexChartVersion> {
  let raw: Buffer;
  try {
    const artifact = repo.status?.artifact;
    if (!artifact) throw new Error(`HelmRepository '${repo.metadata.name ?? ''}' has no artifact`);
    raw = await deps.store.read(artifact);
  } catch (err) {
    throw new ChartBuildError(
      BuildReason.ChartPull,
      `could not load repository index for remote chart reference: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    return selectChartVersion(parseIndex(raw), chart.spec.chart, chart.spec.version);
  } catch (err) {
    if (!(err instanceof ChartIndexError)) throw err;
    throw new ChartBuildError(
      BuildReason.ChartReference,
      `failed to get chart version for remote reference: ${err.message}`,
      { cause: err },
    );
  }
}

/** Downloads the chart with the repository's credentials (to other hosts only with passCredentials). */
async function download(
  deps: RemoteDeps,
  repo: HelmRepository,
  entry: IndexChartVersion,
  signal: AbortSignal,
): Promise<Buffer> {
  const auth = await repositoryAuth(deps.client, repo, signal).catch(secretFailure);
  const url = chartDownloadURL(repo.spec.url, entry);
  const sendCredentials = repo.spec.passCredentials === true || sameOrigin(new URL(url), new URL(repo.spec.url));
  let data: Buffer;
  try {
    data = await httpGet(url, {
      ...(auth && { auth }),
      sendCredentials,
      signal: AbortSignal.any([signal, AbortSignal.timeout(sourceTimeoutMs(repo))]),
      maxBytes: MAX_CHART_BYTES,
    });
  } catch (err) {
    throw new ChartBuildError(
      BuildReason.ChartPull,
      `failed to download chart for remote reference: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const digest = createHash('sha256').update(data).digest('hex');
  if (entry.digest && entry.digest.replace(/^sha256:/, '') !== digest)
    throw new ChartBuildError(
      BuildReason.ChartPull,
      `the chart downloaded from ${url} has digest sha256:${digest}, the index says ${entry.digest}`,
    );
  return data;
}

/** Unpacks a pulled chart, merges the values files into it and packages it again at `version`. */
export async function repackage(
  deps: BuildDeps,
  { chart, data, version, signal }: { chart: HelmChart; data: Buffer; version: string; signal: AbortSignal },
): Promise<{ bytes: Buffer; used: string[] }> {
  return inScratch(async (dir) => {
    const mem = await unpackArtifact(data, chart.spec.chart).catch((err: unknown) => {
      throw new ChartBuildError(
        BuildReason.ChartPackage,
        `failed to load downloaded chart: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    });
    for (const [path, bytes] of mem.files) {
      const abs = join(dir, path);
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, bytes);
    }
    const top = mem.readDir('').find((n) => mem.kind(n) === 'dir');
    if (!top) throw new ChartBuildError(BuildReason.ChartPackage, 'the downloaded chart has no chart directory');
    const chartDir = join(dir, top);
    const used = await applyValuesFiles(chart, chartDir, chartDir);
    return { bytes: await packageChart(deps, chartDir, version, signal), used };
  });
}

/**
 * A chart from an HTTP HelmRepository (source-controller's remote builder): the version is chosen in the stored
 * index; the chart is downloaded only when name or version differ from the cached one; it is stored as downloaded
 * unless values files or version metadata ask for a repackaged chart.
 */
export async function buildFromIndex(deps: RemoteDeps, input: BuildInput<HelmRepository>): Promise<ChartBuild> {
  const { chart, cached, signal } = input;
  const repo = input.source;
  const entry = await resolveEntry(deps, chart, repo);
  const valuesFiles = chart.spec.valuesFiles ?? [];
  const metadata = versionMetadata({
    strategy: chart.spec.reconcileStrategy,
    sourceKind: 'HelmRepository',
    generation: chart.metadata.generation ?? 0,
    hasValuesFiles: valuesFiles.length > 0,
  });
  const version = patchedVersion(entry.version, metadata);
  const packaged = metadata !== '';
  if (cached && cached.name === entry.name && cached.artifact.revision === version)
    return { name: entry.name, version, packaged, valuesFiles: chart.status?.observedValuesFiles ?? valuesFiles };
  const data = await download(deps, repo, entry, signal);
  if (!packaged) {
    return {
      name: entry.name,
      version,
      packaged,
      valuesFiles: [],
      artifact: await storeChart(deps, entry.name, version, data),
    };
  }
  const { bytes, used } = await repackage(deps, { chart, data, version, signal });
  return {
    name: entry.name,
    version,
    packaged,
    valuesFiles: used,
    artifact: await storeChart(deps, entry.name, version, bytes),
  };
}
