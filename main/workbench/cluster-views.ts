/**
 * What the UI sees of the connected clusters, from each session's watch caches (no API calls): the Flux objects,
 * the workloads their inventories list (reference-counted, so only referenced workloads reach the UI) or a Helm
 * release made (helm-controller's origin labels: a HelmRelease has no inventory) and the contexts' connection state. Changes are emitted as the caches report them; the api layer batches them per client.
 * Watches start when the first listener subscribes (or a snapshot is read), so the engine used alone (tests,
 * `fluxdeck run`) does not watch workloads nobody shows.
 */
import type { ClusterInfo, FluxObjectData, Workload } from '../contract/index.ts';
import { watchedFluxTypes } from '../controllers/watched-kinds.ts';
import type { ClusterRegistry } from '../engine/cluster-registry.ts';
import type { ClusterSession } from '../engine/cluster-session.ts';
import type { CacheEvent } from '../engine/controller-manager.ts';
import type { KubeconfigStore } from '../kube/kubeconfig-store.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { clusterSummary, fluxSummary, workloadSummary } from './summaries.ts';
import type { EngineChange, EngineSnapshot } from './workbench.ts';

/** Workload kinds whose health the graph shows for inventory entries. */
const WORKLOAD_TYPES = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
];

const refKey = (r: { group: string; kind: string; namespace: string; name: string }): string =>
  `${r.group}|${r.kind}|${r.namespace}|${r.name}`;

/** A workload reaches the UI when an inventory lists it or a HelmRelease's release made it. */
const shown = (view: ClusterView, key: string, w: Workload | undefined): boolean =>
  view.references.has(key) || w?.helmRelease !== undefined;

interface ClusterView {
  session: ClusterSession;
  objects: Map<string, FluxObjectData>;
  /** Every watched workload of the cluster, by reference. */
  workloads: Map<string, Workload>;
  /** How many inventories list each reference: only referenced workloads reach the UI. */
  references: Map<string, number>;
  stops: (() => void)[];
}

export interface ClusterViewsDeps {
  registry: Pick<ClusterRegistry, 'contexts' | 'connected' | 'session' | 'onChange'>;
  kubeconfigs: Pick<KubeconfigStore, 'current'>;
  logger: Logger;
}

export class ClusterViews {
  private readonly listeners = new Set<(c: EngineChange) => void>();
  private readonly views = new Map<string, ClusterView>();
  private readonly connectErrors = new Map<string, string>();
  private readonly lastInfo = new Map<string, string>();
  private offRegistry: (() => void) | undefined;
  private closed = false;

  private readonly deps: ClusterViewsDeps;

  constructor(deps: ClusterViewsDeps) {
    this.deps = deps;
  }

  /** Every context with its connection state (and the last connect error, until it connects). */
  infos(): ClusterInfo[] {
    const current = this.deps.kubeconfigs.current().config.currentContext;
    return this.deps.registry.contexts().map((ctx) => clusterSummary(ctx, current, this.connectErrors.get(ctx.name)));
  }

  info(cluster: string): ClusterInfo | undefined {
    return this.infos().find((c) => c.name === cluster);
  }

  /** Records (or clears) why a context could not connect, and tells the listeners. */
  noteConnect(cluster: string, error?: string): void {
    if (error === undefined) this.connectErrors.delete(cluster);
    else this.connectErrors.set(cluster, error);
    this.sync();
  }

  snapshot(): EngineSnapshot {
    this.start();
    const objects: FluxObjectData[] = [];
    const workloads: Workload[] = [];
    for (const view of this.views.values()) {
      objects.push(...view.objects.values());
      for (const [key, w] of view.workloads) if (shown(view, key, w)) workloads.push(w);
    }
    return { objects, workloads };
  }

  subscribe(listener: (change: EngineChange) => void): () => void {
    this.start();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(c: EngineChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (err) {
        this.deps.logger.error('an engine change listener failed', { error: errorMessage(err) });
      }
    }
  }

  /** Follows the registry: views for newly connected sessions, none for gone ones, cluster infos that changed. */
  sync(): void {
    if (this.closed || !this.offRegistry) return;
    const { registry } = this.deps;
    for (const [context, view] of this.views) if (registry.session(context) !== view.session) this.detach(context);
    for (const session of registry.connected()) if (!this.views.has(session.context)) this.attach(session);
    for (const info of this.infos()) {
      const json = JSON.stringify(info);
      if (this.lastInfo.get(info.name) === json) continue;
      this.lastInfo.set(info.name, json);
      this.emit({ type: 'cluster', cluster: info });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.offRegistry?.();
    for (const context of [...this.views.keys()]) this.detach(context);
    this.listeners.clear();
  }

  private start(): void {
    if (this.offRegistry || this.closed) return;
    this.offRegistry = this.deps.registry.onChange(() => this.sync());
    this.sync();
  }

  private attach(session: ClusterSession): void {
    const view: ClusterView = { session, objects: new Map(), workloads: new Map(), references: new Map(), stops: [] };
    this.views.set(session.context, view);
    // Without the Flux CRDs there is nothing to watch (and watching an unknown kind would fail).
    if (session.status.role === 'no-flux-crds') return;
    try {
      for (const t of watchedFluxTypes(session)) view.stops.push(session.watch(t, (e) => this.onFlux(view, e)));
      for (const t of WORKLOAD_TYPES) view.stops.push(session.watch(t, (e) => this.onWorkload(view, e)));
    } catch (err) {
      this.deps.logger.warn('could not watch a connected cluster', {
        cluster: session.context,
        error: errorMessage(err),
      });
    }
  }

  private detach(context: string): void {
    const view = this.views.get(context);
    if (!view) return;
    this.views.delete(context);
    for (const stop of view.stops.splice(0)) stop();
    for (const o of view.objects.values()) this.emit({ type: 'removed', what: 'object', uid: o.uid, cluster: context });
    for (const [key, w] of view.workloads)
      if (shown(view, key, w)) this.emit({ type: 'removed', what: 'workload', uid: w.uid, cluster: context });
  }

  private reference(view: ClusterView, key: string, delta: 1 | -1): void {
    const before = view.references.get(key) ?? 0;
    const after = before + delta;
    if (after <= 0) view.references.delete(key);
    else view.references.set(key, after);
    const w = view.workloads.get(key);
    if (!w || w.helmRelease) return;
    if (before === 0 && after > 0) this.emit({ type: 'workload', workload: w });
    else if (before > 0 && after <= 0)
      this.emit({ type: 'removed', what: 'workload', uid: w.uid, cluster: view.session.context });
  }

  private onFlux(view: ClusterView, e: CacheEvent): void {
    const uid = e.object.metadata.uid ?? '';
    const before = view.objects.get(uid);
    for (const r of before?.inventory ?? []) this.reference(view, refKey(r), -1);
    if (e.type === 'deleted') {
      view.objects.delete(uid);
      if (before) this.emit({ type: 'removed', what: 'object', uid, cluster: view.session.context });
      return;
    }
    const next = fluxSummary(view.session.context, e.object);
    if (!next) return;
    view.objects.set(uid, next);
    for (const r of next.inventory ?? []) this.reference(view, refKey(r), 1);
    this.emit({ type: 'object', object: next });
  }

  private onWorkload(view: ClusterView, e: CacheEvent): void {
    const w = workloadSummary(view.session.context, e.object);
    if (!w) return;
    const key = refKey(w);
    const before = shown(view, key, view.workloads.get(key));
    if (e.type === 'deleted') {
      view.workloads.delete(key);
      if (before) this.emit({ type: 'removed', what: 'workload', uid: w.uid, cluster: w.cluster });
      return;
    }
    view.workloads.set(key, w);
    if (shown(view, key, w)) this.emit({ type: 'workload', workload: w });
    else if (before) this.emit({ type: 'removed', what: 'workload', uid: w.uid, cluster: w.cluster });
  }
}
