import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type HelmRepository, sourceTimeoutMs } from '../../flux/source.ts';
import { isHelmError, type RepoAuth } from '../../helm/index.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import type { SecretObject } from '../../kube/secrets.ts';
import { credentialsFromDockerConfig } from '../../registry/index.ts';
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

function pullError(err: unknown, repo: HelmRepository): ChartBuildError {
  if (isHelmError(err, 'ChartNotFound'))
    return new ChartBuildError(
      BuildReason.ChartPull,
      `failed to get chart version for remote reference: ${err.message}`,
      { cause: err },
    );
  const fetchReason =
    isHelmError(err, 'Unauthorized') || isHelmError(err, 'Forbidden') ? 'AuthenticationFailed' : undefined;
  return new ChartBuildError(
    BuildReason.ChartPull,
    `failed to download chart from ${repo.spec.url}: ${(err as Error).message}`,
    { cause: err, ...(fetchReason && { fetchReason }) },
  );
}

/**
 * A chart from an OCI HelmRepository: the Helm helper resolves `spec.version` over the registry's tags and pulls
 * `<url>/<chart>`. Flux decides whether to download by the resolved tag; here the pull answers that, and nothing new
 * is stored when the name and version are the cached ones.
 */
export async function buildFromRegistry(deps: OciDeps, input: BuildInput<HelmRepository>): Promise<ChartBuild> {
  const { chart, cached, signal } = input;
  const repo = input.source;
  const auth = await ociAuth(deps, repo, signal);
  return inScratch(async (dir) => {
    const pulled = await deps
      .helm()
      .call(
        'pull',
        {
          url: repo.spec.url,
          chart: chart.spec.chart,
          ...(chart.spec.version && chart.spec.version !== '*' ? { version: chart.spec.version } : {}),
          auth,
          destDir: join(dir, 'pull'),
          timeoutMs: sourceTimeoutMs(repo),
        },
        { signal },
      )
      .catch((err: unknown) => {
        throw pullError(err, repo);
      });
    const valuesFiles = chart.spec.valuesFiles ?? [];
    const metadata = versionMetadata({
      strategy: chart.spec.reconcileStrategy,
      sourceKind: 'HelmRepository',
      generation: chart.metadata.generation ?? 0,
      hasValuesFiles: valuesFiles.length > 0,
    });
    const version = patchedVersion(pulled.version, metadata);
    const packaged = metadata !== '';
    if (cached && cached.name === pulled.name && cached.artifact.revision === version)
      return { name: pulled.name, version, packaged, valuesFiles: chart.status?.observedValuesFiles ?? valuesFiles };
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
