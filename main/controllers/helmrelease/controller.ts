import { parse } from 'yaml';

import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { CacheEvent, Controller, ResourceType } from '../../engine/controller-manager.ts';
import { isReady } from '../../flux/conditions.ts';
import { HELM_CONTROLLER, type HelmRelease, type HelmReleaseStatus } from '../../flux/helm.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { type HelmClient, isHelmError, type KubeAccess } from '../../helm/index.ts';
import { isKubeError } from '../../kube/kube-error.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { FluxEventSink } from '../flux-events.ts';
import type { SourceObject } from '../source/ports.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import { artifactChanged, becameReady, nsName } from '../watch-triggers.ts';
import { chartSourceRef, helmChartFromTemplate } from './chart-source.ts';
import { correctDrift, manifestObjects, releaseDrift } from './drift.ts';
import type { HelmReleasePorts, ReleaseActions } from './ports.ts';
import { reconcileHelmRelease } from './reconcile.ts';
import { openChart, readValuesSources } from './release-inputs.ts';
import { releaseKube } from './release-kube.ts';

const HR: ResourceType = { apiVersion: fluxKinds.HelmRelease.apiVersion, kind: 'HelmRelease' };
const CHART_SOURCES: ResourceType[] = [
  { apiVersion: fluxKinds.OCIRepository.apiVersion, kind: 'OCIRepository' },
  { apiVersion: fluxKinds.HelmChart.apiVersion, kind: 'HelmChart' },
];

export interface HelmReleaseControllerDeps {
  session: ClusterSession;
  store: ArtifactStore;
  /** The shared Helm helper client (started on first use). */
  helm: () => HelmClient;
  /** The session's own kubeconfig context, as kubeconfig text for the helper (kept in memory). */
  kubeAccess: () => KubeAccess;
  events: FluxEventSink;
  concurrency?: number;
  requeueDependencyMs?: number;
  retryMs?: number;
}

/** The engine controller for HelmReleases: reconcile plus the watches that requeue them. */
export function helmReleaseController(deps: HelmReleaseControllerDeps): Controller {
  const { session } = deps;
  const served = new Set(session.cachedTypes().map((t) => `${t.apiVersion}/${t.kind}`));
  return {
    type: HR,
    concurrency: deps.concurrency ?? 4,
    reconcile: (obj, req) => reconcileHelmRelease(obj as HelmRelease, helmReleasePorts(deps), req.signal),
    watches: [
      // A chart source's new artifact requeues the HelmReleases that use it.
      ...CHART_SOURCES.filter((t) => served.has(`${t.apiVersion}/${t.kind}`)).map((type) => ({
        type,
        map: (e: CacheEvent) => (artifactChanged(e) ? usersOf(e.object, session) : []),
      })),
      // A HelmRelease becoming ready requeues those that depend on it.
      { type: HR, map: (e) => (becameReady(e) ? dependentsOf(e.object, session) : []) },
    ],
  };
}

function usersOf(source: KubeObject, session: ClusterSession): { namespace: string; name: string }[] {
  return (session.cache(HR).list() as HelmRelease[])
    .filter((hr) => {
      const ref = chartSourceRef(hr);
      return (
        ref?.kind === source.kind && ref.name === source.metadata.name && ref.namespace === source.metadata.namespace
      );
    })
    .map(nsName);
}

function dependentsOf(dep: KubeObject, session: ClusterSession): { namespace: string; name: string }[] {
  return (session.cache(HR).list() as HelmRelease[])
    .filter((hr) =>
      (hr.spec.dependsOn ?? []).some(
        (d) => d.name === dep.metadata.name && (d.namespace ?? hr.metadata.namespace) === dep.metadata.namespace,
      ),
    )
    .map(nsName);
}

/** The ports of HelmRelease reconciles, bound to the session's cluster, the artifact store and the helper. */
export function helmReleasePorts(deps: HelmReleaseControllerDeps): HelmReleasePorts {
  const { session } = deps;
  const client = session.client;
  const writers = new WeakMap<HelmRelease, StatusWriter<HelmReleaseStatus>>();
  return {
    chartSource: (hr) => {
      const ref = chartSourceRef(hr);
      if (!ref) return { found: false, id: 'chart' };
      const id = `${ref.kind}/${ref.namespace}/${ref.name}`;
      const type = CHART_SOURCES.find((t) => t.kind === ref.kind);
      const src = type && (session.cache(type).get(ref.namespace, ref.name) as SourceObject | undefined);
      if (!src) return { found: false, id };
      const ready = isReady(src.status?.conditions);
      const message = src.status?.conditions?.find((c) => c.type === 'Ready')?.message;
      return {
        found: true,
        id,
        ready,
        ...(src.status?.artifact ? { artifact: src.status.artifact } : {}),
        ...(message ? { message } : {}),
      };
    },
    ensureHelmChart: async (hr, signal) => {
      const template = hr.spec.chart;
      if (!template) throw new Error('spec.chart is not set');
      const chart = helmChartFromTemplate(hr, template);
      await client.apply(chart, { fieldManager: HELM_CONTROLLER, force: true, signal });
      return `${chart.metadata.namespace}/${chart.metadata.name}`;
    },
    deleteHelmChart: async (nsName, signal) => {
      const [namespace = '', name = ''] = nsName.split('/');
      await client
        .delete({ apiVersion: fluxKinds.HelmChart.apiVersion, kind: 'HelmChart', namespace, name }, { signal })
        .catch((err: unknown) => {
          if (!isKubeError(err, 'NotFound')) throw err;
        });
    },
    dependency: (ns, name) => session.cache(HR).get(ns, name) as HelmRelease | undefined,
    openChart: (artifact, signal) => openChart(deps.store, artifact, signal),
    valuesSources: (hr, signal) => readValuesSources(client, hr, signal),
    parseYaml: (text) => parse(text) as unknown,
    actions: (hr, signal) => releaseActions(deps, hr, signal),
    writeStatus: (hr, s) => {
      let w = writers.get(hr);
      if (!w) writers.set(hr, (w = new StatusWriter<HelmReleaseStatus>(client, hr, HELM_CONTROLLER)));
      return w.write(s);
    },
    setFinalizer: (hr, present) => setFinalizer(client, hr, present, HELM_CONTROLLER),
    event: (hr, e) =>
      deps.events.emit(session, hr, {
        ...e,
        controller: HELM_CONTROLLER,
        revisionKey: 'helm.toolkit.fluxcd.io/revision',
      }),
    requeueDependencyMs: deps.requeueDependencyMs ?? 10_000,
    retryMs: deps.retryMs ?? 2_000,
    now: () => new Date(),
  };
}

async function releaseActions(
  deps: HelmReleaseControllerDeps,
  hr: HelmRelease,
  signal: AbortSignal,
): Promise<ReleaseActions> {
  const kube = await releaseKube(deps.session.client, hr, deps.kubeAccess, signal);
  const helm = deps.helm();
  const sa = hr.spec.serviceAccountName;
  const client = sa
    ? deps.session.client.impersonate({ serviceAccount: { namespace: hr.metadata.namespace ?? '', name: sa } })
    : deps.session.client;
  return {
    kube,
    latest: async (target) => {
      try {
        return await helm.call('status', { kube, ...target });
      } catch (err) {
        if (isHelmError(err, 'ReleaseNotFound')) return undefined;
        throw err;
      }
    },
    install: (req, s, postRenderer) =>
      helm.call('install', { kube, ...req }, { signal: s, ...(postRenderer ? { postRenderer } : {}) }),
    upgrade: (req, s, postRenderer) =>
      helm.call('upgrade', { kube, ...req }, { signal: s, ...(postRenderer ? { postRenderer } : {}) }),
    test: (req, s) => helm.call('test', { kube, ...req }, { signal: s }),
    rollback: (req, s) => helm.call('rollback', { kube, ...req }, { signal: s }),
    uninstall: async (req, s) => (await helm.call('uninstall', { kube, ...req }, { signal: s })).release,
    unlock: (target, s) => helm.call('unlock', { kube, ...target }, { signal: s }),
    drift: async (target, s) => {
      // Drift of releases in remote clusters (kubeConfig.secretRef) is not compared yet: nothing is reported.
      if (hr.spec.kubeConfig) return { drifted: [], objects: [] };
      const rel = await helm.call('status', { kube, ...target, withManifest: true }, { signal: s });
      return releaseDrift(
        client,
        await manifestObjects(client, rel.manifest ?? '', target.namespace, { forDrift: true }),
        s,
        hr.spec.driftDetection?.ignore ?? [],
      );
    },
    correctDrift: (objects, s) => correctDrift(client, objects, s),
  };
}
