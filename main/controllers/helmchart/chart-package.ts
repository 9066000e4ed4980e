import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

import { stringify } from 'yaml';

import type { Artifact, HelmChart } from '../../flux/source.ts';
import type { HelmClient } from '../../helm/index.ts';
import type { ArtifactOwner } from '../../sources/artifacts/artifact.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { withVersionMetadata } from '../../sources/helm/chart-index.ts';
import { mergeValuesFiles, ValuesFileError } from '../../sources/helm/chart-values.ts';
import { BuildReason, ChartBuildError } from './ports.ts';

/** The effects every chart build shares: a scratch directory, values merging, packaging and storing. */

export interface BuildDeps {
  store: ArtifactStore;
  helm: () => HelmClient;
  owner: ArtifactOwner;
}

/** Runs `fn` in a fresh temporary directory that is removed afterwards, whatever happens. */
export async function inScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-helmchart-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `rel` inside `root`, or undefined when it would leave it (Flux's securejoin refuses the same paths). */
export function insideRoot(root: string, rel: string): string | undefined {
  const abs = resolve(root, rel.replace(/^\/+/, ''));
  return abs === resolve(root) || abs.startsWith(resolve(root) + sep) ? abs : undefined;
}

async function readIfFile(path: string | undefined): Promise<Uint8Array | undefined> {
  if (!path) return undefined;
  const st = await stat(path).catch(() => undefined);
  return st?.isFile() ? readFile(path) : undefined;
}

/**
 * Merges `spec.valuesFiles` (paths relative to `root`) and writes the result as the chart's values.yaml; returns
 * the files used. Files are read before merging so the pure merge sees them all.
 */
export async function applyValuesFiles(chart: HelmChart, root: string, chartDir: string): Promise<string[]> {
  const paths = chart.spec.valuesFiles ?? [];
  if (paths.length === 0) return [];
  const files = new Map<string, Uint8Array | undefined>();
  for (const p of paths) files.set(p, await readIfFile(insideRoot(root, p)));
  try {
    const merged = mergeValuesFiles(paths, (p) => files.get(p), chart.spec.ignoreMissingValuesFiles ?? false);
    await writeFile(join(chartDir, 'values.yaml'), stringify(merged.values));
    return merged.used;
  } catch (err) {
    if (!(err instanceof ValuesFileError)) throw err;
    throw new ChartBuildError(BuildReason.ValuesFiles, `failed to merge chart values: ${err.message}`, { cause: err });
  }
}

/** The version with Flux's build metadata, or MetadataPatchError. */
export function patchedVersion(version: string, metadata: string): string {
  try {
    return withVersionMetadata(version, metadata);
  } catch (err) {
    throw new ChartBuildError(BuildReason.MetadataPatch, (err as Error).message, { cause: err });
  }
}

/** `helm package` of `chartDir` at `version` through the helper; returns the archive's bytes. */
export async function packageChart(
  deps: BuildDeps,
  chartDir: string,
  version: string,
  signal: AbortSignal,
): Promise<Buffer> {
  const destDir = join(dirname(chartDir), `.package-${Date.now()}`);
  await mkdir(destDir, { recursive: true });
  try {
    const { path } = await deps.helm().call('package', { path: chartDir, destDir, version }, { signal });
    return await readFile(path);
  } catch (err) {
    if (err instanceof ChartBuildError) throw err;
    throw new ChartBuildError(BuildReason.ChartPackage, (err as Error).message, { cause: err });
  }
}

/** Stores the chart as `<name>-<version>.tgz` (Flux's artifact file name) and drops older ones beyond retention. */
export async function storeChart(deps: BuildDeps, name: string, version: string, data: Uint8Array): Promise<Artifact> {
  const artifact = await deps.store.put(deps.owner, `${name}-${version}.tgz`, data, version);
  await deps.store.gc(deps.owner, { current: artifact });
  return artifact;
}
