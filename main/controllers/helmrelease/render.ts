import { parse } from 'yaml';

import type { HelmRelease } from '../../flux/helm.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { HelmClient, HookInfo } from '../../helm/index.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { SourceObject } from '../source/ports.ts';
import { chartSourceRef } from './chart-source.ts';
import { manifestObjects } from './drift.ts';
import type { LocalChart, ReleaseTargetOf } from './ports.ts';
import { postRendererFor } from './post-render.ts';
import { releaseTarget } from './reconcile.ts';
import { openChart, readValuesSources } from './release-inputs.ts';
import { composeValues, digestValues, type Values, type ValuesSource } from './values.ts';

/**
 * A HelmRelease rendered exactly as the controller would release it, without releasing anything: the chart of its
 * source's current artifact (or a local chart), values merged in Flux's order from the cluster's ConfigMaps and
 * Secrets, Helm's own template engine through the helper, then the controller's post-renderers (kustomize patches
 * and images, commonMetadata, origin labels). `fluxdeck helm template`, `fluxdeck diff helmrelease` and the editor's
 * preview of HelmRelease edits all call this one function.
 */

export interface RenderDeps {
  /** The cluster the HelmRelease and its sources live in. */
  client: ClusterClient;
  helm: HelmClient;
  /** Where the chart source's artifact is (this machine's store, filled by the source controllers). */
  store: ArtifactStore;
}

export interface RenderOptions {
  signal: AbortSignal;
  /** A chart directory or .tgz on disk to render instead of the source's artifact (`--chart`). */
  chartPath?: string;
  /** Also print the chart's `crds/` (Helm's --include-crds); the controller installs them by its crds policy. */
  includeCRDs?: boolean;
  /**
   * ConfigMaps and Secrets that take the place of the cluster's for valuesFrom: an edit not applied yet (the
   * editor's preview builds them from the work tree along with the HelmRelease).
   */
  valuesObjects?: readonly KubeObject[];
}

export interface RenderedRelease {
  target: ReleaseTargetOf;
  chart: { name: string; version: string; appVersion?: string };
  /** Where the chart came from: the source's id and artifact revision, or the local path. */
  chartFrom: string;
  values: Values;
  configDigest: string;
  /** The release manifest (hooks excluded), post-rendered: what an install or upgrade applies. */
  manifest: string;
  hooks: HookInfo[];
  /** What `helm template` would print for the same input, post-renderers applied to the manifest part. */
  output: string;
}

/** A failure to render that names what is missing (no chart yet, source not found...). */
export class RenderError extends Error {
  override readonly name = 'RenderError';
}

const CHART_SOURCES = {
  OCIRepository: fluxKinds.OCIRepository.apiVersion,
  HelmChart: fluxKinds.HelmChart.apiVersion,
} as const;

/** The chart of the HelmRelease's source as the controller loads it, from this machine's artifact store. */
async function chartOf(deps: RenderDeps, hr: HelmRelease, signal: AbortSignal): Promise<[LocalChart, string]> {
  const ref = chartSourceRef(hr);
  if (!ref)
    throw new RenderError('the HelmRelease has neither spec.chart nor a chartRef to an OCIRepository or HelmChart');
  const id = `${ref.kind} ${ref.namespace}/${ref.name}`;
  const src = await deps.client.tryGet<SourceObject>(
    { apiVersion: CHART_SOURCES[ref.kind], kind: ref.kind, namespace: ref.namespace, name: ref.name },
    { signal },
  );
  if (!src) throw new RenderError(`chart source ${id} not found`);
  const artifact = src.status?.artifact;
  if (!artifact) throw new RenderError(`chart source ${id} has no artifact yet`);
  if (!(await deps.store.exists(artifact))) {
    throw new RenderError(
      `the artifact of ${id} (${artifact.revision}) is not on this machine: let Fluxdeck reconcile that source (fluxdeck run, or the app), or pass a local chart`,
    );
  }
  return [await openChart(deps.store, artifact, signal), `${id}@${artifact.revision}`];
}

/** valuesFrom data from `objects` where they hold the referenced ConfigMap or Secret, else from `base`. */
function overlaySources(base: ValuesSource, hr: HelmRelease, objects: readonly KubeObject[]): ValuesSource {
  const ns = hr.metadata.namespace ?? '';
  return (kind, name) => {
    const o = objects.find(
      (x) =>
        x.apiVersion === 'v1' && x.kind === kind && x.metadata.name === name && (x.metadata.namespace ?? ns) === ns,
    );
    if (!o) return base(kind, name);
    const data = (o.data ?? {}) as Record<string, string>;
    if (kind === 'ConfigMap') return data;
    const decoded: Record<string, string> = {};
    for (const [k, v] of Object.entries(data)) decoded[k] = Buffer.from(v, 'base64').toString('utf8');
    return { ...decoded, ...(o.stringData as Record<string, string> | undefined) };
  };
}

export async function renderHelmRelease(
  deps: RenderDeps,
  hr: HelmRelease,
  opts: RenderOptions,
): Promise<RenderedRelease> {
  const { signal } = opts;
  const [path, chartFrom] = opts.chartPath
    ? [opts.chartPath, opts.chartPath]
    : await chartOf(deps, hr, signal).then(([c, from]) => [c.path, from] as const);
  const sources = overlaySources(await readValuesSources(deps.client, hr, signal), hr, opts.valuesObjects ?? []);
  const values = composeValues(hr.spec, hr.metadata.namespace ?? '', sources, (t) => parse(t) as unknown);
  const target = releaseTarget(hr);
  const rendered = await deps.helm.call(
    'template',
    {
      chart: { path },
      releaseName: target.releaseName,
      namespace: target.namespace,
      values,
      // A release that exists is upgraded: templates see .Release.IsUpgrade as they would in the controller.
      isUpgrade: (hr.status?.history?.length ?? 0) > 0,
      ...(opts.includeCRDs ? { includeCRDs: true } : {}),
      ...(hr.spec.install?.disableSchemaValidation ? { skipSchemaValidation: true } : {}),
    },
    { signal, postRenderer: postRendererFor(hr) },
  );
  return {
    target,
    chart: rendered.chart,
    chartFrom,
    values,
    configDigest: digestValues(values),
    manifest: rendered.manifest,
    hooks: rendered.hooks,
    output: rendered.output,
  };
}

/** The rendered manifest's objects as the controller applies them (namespaced ones in the release namespace). */
export function renderedObjects(client: ClusterClient, r: RenderedRelease): Promise<KubeObject[]> {
  return manifestObjects(client, r.manifest, r.target.namespace);
}
