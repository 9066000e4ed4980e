import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { CacheEvent, Controller, ResourceType } from '../../engine/controller-manager.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { HelmChart } from '../../flux/source.ts';
import type { HelmClient } from '../../helm/index.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { sourcePorts } from '../source/source-ports.ts';
import { watchedFluxTypes } from '../watched-kinds.ts';
import { buildFromArtifact } from './local-chart.ts';
import { buildFromRegistry } from './oci-chart.ts';
import type { ChartSource, HelmChartPorts, SourceLookup } from './ports.ts';
import { reconcileHelmChart } from './reconcile.ts';
import { buildFromIndex } from './remote-chart.ts';

const HELM_CHART: ResourceType = { apiVersion: fluxKinds.HelmChart.apiVersion, kind: 'HelmChart' };
const CHART_SOURCES = new Set(['HelmRepository', 'GitRepository', 'Bucket']);

export interface HelmChartControllerDeps {
  session: ClusterSession;
  store: ArtifactStore;
  events: FluxEventSink;
  /** The shared Helm helper client (created on first use by the composition root). */
  helm: () => HelmClient;
  concurrency?: number;
}

/** The engine controller for HelmCharts: reconcile, and a requeue when a source's artifact or spec changes. */
export function helmChartController(deps: HelmChartControllerDeps): Controller {
  const { session } = deps;
  return {
    type: HELM_CHART,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) => reconcileHelmChart(obj as HelmChart, helmChartPorts(obj as HelmChart, deps), req.signal),
    watches: watchedFluxTypes(session)
      .filter((t) => CHART_SOURCES.has(t.kind))
      .map((type) => ({ type, map: (e: CacheEvent) => (sourceChanged(e) ? chartsOf(e.object, session) : []) })),
  };
}

/**
 * A source moved for its charts: a new artifact (revision or write time, as the Kustomization watch), or a new
 * generation (an OCI HelmRepository has no artifact; its URL or credentials are its spec).
 */
function sourceChanged(e: CacheEvent): boolean {
  if (e.type === 'deleted') return false;
  const stamp = (o: KubeObject | undefined): string | undefined => {
    const a = (o as ChartSource | undefined)?.status?.artifact;
    return `${o?.metadata.generation ?? ''}|${a ? `${a.revision}|${a.lastUpdateTime}` : ''}`;
  };
  return stamp(e.object) !== stamp(e.old);
}

function chartsOf(source: KubeObject, session: ClusterSession): { namespace: string; name: string }[] {
  return (session.cache(HELM_CHART).list() as HelmChart[])
    .filter(
      (c) =>
        c.spec.sourceRef.kind === source.kind &&
        c.spec.sourceRef.name === source.metadata.name &&
        c.metadata.namespace === source.metadata.namespace,
    )
    .map((c) => ({ namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '' }));
}

export function helmChartPorts(chart: HelmChart, deps: HelmChartControllerDeps): HelmChartPorts {
  const { session, store } = deps;
  const base = sourcePorts(chart, deps);
  const build = { store, helm: deps.helm, owner: base.owner, client: session.client };
  return {
    ...base,
    source: (c) => lookupSource(c, session, store),
    build: (input) => {
      const { source } = input;
      if (source.kind !== 'HelmRepository') return buildFromArtifact(build, { ...input, source });
      if (source.spec.type === 'oci') return buildFromRegistry(build, { ...input, source });
      return buildFromIndex(build, { ...input, source });
    },
  };
}

async function lookupSource(chart: HelmChart, session: ClusterSession, store: ArtifactStore): Promise<SourceLookup> {
  const ref = chart.spec.sourceRef;
  const ns = chart.metadata.namespace ?? '';
  const type = watchedFluxTypes(session).find((t) => t.kind === ref.kind && CHART_SOURCES.has(t.kind));
  if (!type)
    return {
      found: false,
      message: `unsupported source kind '${ref.kind}', must be one of: [HelmRepository GitRepository Bucket]`,
    };
  const source = session.cache(type).get(ns, ref.name) as ChartSource | undefined;
  if (!source) return { found: false, message: `${ref.kind} '${ns}/${ref.name}' not found` };
  const artifact = source.status?.artifact;
  return {
    found: true,
    source,
    ...(artifact && { artifact }),
    artifactExists: artifact ? await store.exists(artifact) : false,
  };
}
