import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type HelmChart, type HelmRepository, SourceReason, sourceTimeoutMs } from '../../flux/source.ts';
import { isHelmError, type PullResult, type RepoAuth } from '../../helm/index.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import type { SecretObject } from '../../kube/secrets.ts';
import {
  credentialsFromDockerConfig,
  parseReference,
  type Reference,
  RegistryClient,
  RegistryError,
} from '../../registry/index.ts';
import { selectChartVersion } from '../../sources/helm/chart-index.ts';
import { versionMetadata } from '../../sources/helm/chart-values.ts';
import { repoAuthFrom, repositoryAuth } from '../helmrepository/repository-auth.ts';
import { type BuildDeps, inScratch, patchedVersion, storeChart } from './chart-package.ts';
import { type BuildInput, BuildReason, type ChartBuild, ChartBuildError } from './ports.ts';
import { repackage } from './remote-chart.ts';
import { secretFailure } from './source-auth.ts';

export interface OciDeps extends BuildDeps {
  client: ClusterClient;
}

/**
 * The registry credentials of an OCI HelmRepository: its secretRef is either a `kubernetes.io/dockerconfigjson` Secret
 * (the entry for the registry host) or `username`/`password`, as Flux accepts both; TLS as for HTTP repositories.
 */
async function ociAuth(deps: OciDeps, repo: HelmRepository, signal: AbortSignal): Promise<RepoAuth> {
  const http = await repositoryAuth(deps.client, repo, signal).catch(secretFailure);
  const auth = repoAuthFrom(repo, http);
  if (!repo.spec.secretRef) return auth;
  const raw = await deps.client.tryGet<SecretObject>(
    { apiVersion: 'v1', kind: 'Secret', namespace: repo.metadata.namespace ?? '', name: repo.spec.secretRef.name },
    { signal },
  );
  const config = raw?.data?.['.dockerconfigjson'];
  if (!config) return auth;
  const host = new URL(repo.spec.url.replace(/^oci:/, 'http:')).host;
  const creds = credentialsFromDockerConfig(Buffer.from(config, 'base64'), host);
  if (creds?.kind !== 'basic') return auth;
  return { ...auth, username: creds.username, password: creds.password };
}

/** The registry reference of `<url>/<chart>` (Helm's OCI chart layout). */
function chartReference(repo: HelmRepository, chart: string): Reference {
  const url = repo.spec.url;
  if (!url.startsWith('oci://'))
    throw new ChartBuildError(BuildReason.ChartReference, `invalid OCI registry URL: ${url}`, {
      fetchReason: SourceReason.URLInvalid,
    });
  try {
    return parseReference(`${url.slice('oci://'.length).replace(/\/+$/, '')}/${chart}`);
  } catch (err) {
    throw new ChartBuildError(
      BuildReason.ChartReference,
      `invalid OCI registry URL ${url}: ${(err as Error).message}`,
      {
        cause: err,
        fetchReason: SourceReason.URLInvalid,
      },
    );
  }
}

/**
 * The version `spec.version` selects among the chart's tags, as Flux's OCIChartRepository: an exact tag first, else
 * the highest tag in the range (Helm writes `+` in versions as `_` in tags).
 */
async function resolveVersion(
  repo: HelmRepository,
  chart: HelmChart,
  auth: RepoAuth,
  signal: AbortSignal,
): Promise<string> {
  const ref = chartReference(repo, chart.spec.chart);
  const registry = new RegistryClient(ref.registry, {
    signal: AbortSignal.any([signal, AbortSignal.timeout(sourceTimeoutMs(repo))]),
    ...(auth.username !== undefined && {
      credentials: { kind: 'basic', username: auth.username, password: auth.password ?? '' },
    }),
    ...(auth.plainHTTP && { plainHttp: true }),
    tls: {
      ...(auth.caPEM && { ca: auth.caPEM }),
      ...(auth.certPEM && { cert: auth.certPEM }),
      ...(auth.keyPEM && { key: auth.keyPEM }),
    },
  });
  try {
    const tags = await registry.tags(ref.repository);
    const versions = tags.map((t) => ({ name: chart.spec.chart, version: t.replace(/_/g, '+'), urls: [t] }));
    return selectChartVersion(
      { apiVersion: 'v1', entries: { [chart.spec.chart]: versions } },
      chart.spec.chart,
      chart.spec.version,
    ).version;
  } catch (err) {
    const fetchReason =
      err instanceof RegistryError && (err.code === 'unauthorized' || err.code === 'denied')
        ? SourceReason.AuthenticationFailed
        : undefined;
    throw new ChartBuildError(
      BuildReason.ChartPull,
      `failed to get chart version for remote reference: ${ref.registry}/${ref.repository}: ${(err as Error).message}`,
      { cause: err, ...(fetchReason && { fetchReason }) },
    );
  } finally {
    registry.close();
  }
}

async function pull(
  deps: OciDeps,
  input: { repo: HelmRepository; chart: HelmChart; version: string; auth: RepoAuth; dir: string; signal: AbortSignal },
): Promise<PullResult> {
  const { repo, chart, version, auth, dir, signal } = input;
  try {
    return await deps.helm().call(
      'pull',
      {
        url: repo.spec.url,
        chart: chart.spec.chart,
        version,
        auth,
        destDir: join(dir, 'pull'),
        timeoutMs: sourceTimeoutMs(repo),
      },
      { signal },
    );
  } catch (err) {
    const fetchReason =
      isHelmError(err, 'Unauthorized') || isHelmError(err, 'Forbidden') ? SourceReason.AuthenticationFailed : undefined;
    throw new ChartBuildError(
      BuildReason.ChartPull,
      `failed to download chart for remote reference: ${(err as Error).message}`,
      { cause: err, ...(fetchReason && { fetchReason }) },
    );
  }
}

/**
 * A chart from an OCI HelmRepository (Flux's remote builder over an OCIChartRepository): the version is resolved
 * over the registry's tags, the chart is pulled through the Helm helper only when name or version differ from the
 * cached one, and stored as pulled unless values files ask for a repackaged chart.
 */
export async function buildFromRegistry(deps: OciDeps, input: BuildInput<HelmRepository>): Promise<ChartBuild> {
  const { chart, cached, signal } = input;
  const repo = input.source;
  const auth = await ociAuth(deps, repo, signal);
  const resolved = await resolveVersion(repo, chart, auth, signal);
  const valuesFiles = chart.spec.valuesFiles ?? [];
  const metadata = versionMetadata({
    strategy: chart.spec.reconcileStrategy,
    sourceKind: 'HelmRepository',
    generation: chart.metadata.generation ?? 0,
    hasValuesFiles: valuesFiles.length > 0,
  });
  const version = patchedVersion(resolved, metadata);
  const packaged = metadata !== '';
  const name = chart.spec.chart;
  if (cached && cached.name === name && cached.artifact.revision === version)
    return { name, version, packaged, valuesFiles: chart.status?.observedValuesFiles ?? valuesFiles };
  return inScratch(async (dir) => {
    const pulled = await pull(deps, { repo, chart, version: resolved, auth, dir, signal });
    const data = await readFile(pulled.path);
    if (!packaged)
      return {
        name: pulled.name,
        version,
        packaged,
        valuesFiles: [],
        artifact: await storeChart(deps, pulled.name, version, data),
      };
    const { bytes, used } = await repackage(deps, { chart, data, version, signal });
    return {
      name: pulled.name,
      version,
      packaged,
      valuesFiles: used,
      artifact: await storeChart(deps, pulled.name, version, bytes),
    };
  });
}
