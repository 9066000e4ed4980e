/**
 * The engine port over the composition root (main/create-fluxdeck.ts): contexts from the cluster registry, Flux
 * objects and the workloads in their inventories from each session's watch caches, and the `flux` CLI's verbs from
 * main/controllers/actions. Changes are emitted as the caches report them; the api layer batches them per client.
 */
import { stringify } from 'yaml';

import {
  type DiffEntry,
  FluxdeckError,
  type FluxKey,
  type FluxObjectData,
  type KustomizationDiff,
  type ObjectKey,
  type Workload,
} from '../contract/index.ts';
import { WATCHED_KINDS } from '../controllers/flux-session.ts';
import {
  describeFluxRef,
  type FluxObjectRef,
  requestReconcile,
  type RequestResult,
  resume,
  setSuspended,
} from '../controllers/requests/flux-requests.ts';
import type { Fluxdeck } from '../create-fluxdeck.ts';
import type { ClusterSession } from '../engine/cluster-session.ts';
import type { CacheEvent } from '../engine/controller-manager.ts';
import { fluxKind, fluxKinds } from '../flux/kinds.ts';
import type { Kustomization } from '../flux/kustomize.ts';
import { CLIENT_SIDE_APPLY_MANAGER } from '../flux/meta.ts';
import type { GitRepository } from '../flux/source.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { openArtifact } from '../sources/artifacts/open-artifact.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { Logger } from '../util/logger.ts';
import { type CredentialStore, memoryCredentialStore } from './credential-store.ts';
import { asFluxdeckError } from './engine-errors.ts';
import type { ActionOptions, EngineChange, EngineOutcome, EnginePort, ObjectLive } from './engine-port.ts';
import { clusterSummary, eventSummary, fluxSummary, redactedForDisplay, workloadSummary } from './engine-summaries.ts';
import { editableForm, mergePatch, parseEdit, patchedFields } from './flux-edit.ts';
import { createKindSchemas } from './kind-schemas.ts';
import { buildKustomization, diffEntries, previewObjects } from './kustomization-preview.ts';
import { createWorkTrees } from './work-trees.ts';

/** Workload kinds whose health the graph shows for inventory entries. */
const WORKLOAD_TYPES = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
];

/** How long an action waits for the controller's answer (the flux CLI's default timeout). */
const ACTION_TIMEOUT_MS = 5 * 60_000;

const refKey = (r: { group: string; kind: string; namespace: string; name: string }): string =>
  `${r.group}|${r.kind}|${r.namespace}|${r.name}`;

interface ClusterView {
  session: ClusterSession;
  objects: Map<string, FluxObjectData>;
  /** Every watched workload of the cluster, by reference. */
  workloads: Map<string, Workload>;
  /** How many inventories list each reference: only referenced workloads reach the UI. */
  references: Map<string, number>;
  stops: (() => void)[];
}

/**
 * What applying the Kustomization's current source artifact would change: the build the controller would make
 * (Flux overlay, post-build variables; in a worker thread), dry-run against the cluster, plus what prune would delete.
 */
async function previewAgainstArtifact(
  fd: Fluxdeck,
  client: ClusterClient,
  key: FluxKey,
  signal: AbortSignal,
): Promise<Omit<KustomizationDiff, 'key'>> {
  const kind = fluxKinds.Kustomization;
  const ks = await client.get<Kustomization>(
    { apiVersion: kind.apiVersion, kind: kind.kind, namespace: key.namespace, name: key.name },
    { signal },
  );
  const ref = ks.spec.sourceRef;
  const what = `${ref.kind} ${ref.namespace ?? key.namespace}/${ref.name}`;
  if (ref.kind !== 'GitRepository')
    throw new FluxdeckError(
      'unavailable',
      `Fluxdeck does not build artifacts of ${ref.kind} sources yet, so it cannot diff against ${what}.`,
    );
  const git = fluxKinds.GitRepository;
  const source = await client.get<GitRepository>(
    { apiVersion: git.apiVersion, kind: git.kind, namespace: ref.namespace ?? key.namespace, name: ref.name },
    { signal },
  );
  const artifact = source.status?.artifact;
  if (!artifact || !(await fd.store.exists(artifact)))
    throw new FluxdeckError(
      'unavailable',
      `${what} has no artifact on this machine yet: reconcile the Kustomization with its source (Shift+S), then diff again.`,
    );
  const { files } = await openArtifact(fd.store, artifact);
  const objects = await buildKustomization(client, ks, { files }, signal);
  const entries: DiffEntry[] = diffEntries(await previewObjects(client, ks, objects, signal));
  return { revision: artifact.revision, entries };
}

/** Labels kustomize-controller puts on what it applies: who would put an in-place edit back. */
const KS_NAME = 'kustomize.toolkit.fluxcd.io/name';
const KS_NAMESPACE = 'kustomize.toolkit.fluxcd.io/namespace';

export interface FluxdeckPortOptions {
  logger: Logger;
  /** Where git credentials the user enters are kept (default: this process's memory, as `fluxdeck serve` does). */
  credentials?: CredentialStore;
}

export function fluxdeckPort(fd: Fluxdeck, opts: FluxdeckPortOptions): EnginePort {
  const listeners = new Set<(c: EngineChange) => void>();
  const views = new Map<string, ClusterView>();
  const connectErrors = new Map<string, string>();
  const lastInfo = new Map<string, string>();
  let closed = false;

  const emit = (c: EngineChange): void => {
    for (const l of listeners) {
      try {
        l(c);
      } catch (err) {
        opts.logger.error('an engine change listener failed', { error: errorMessage(err) });
      }
    }
  };

  const infos = (): ReturnType<typeof clusterSummary>[] => {
    const current = fd.kubeconfigs.current().config.currentContext;
    return fd.registry.contexts().map((ctx) => clusterSummary(ctx, current, connectErrors.get(ctx.name)));
  };

  const emitClusterChanges = (): void => {
    for (const info of infos()) {
      const json = JSON.stringify(info);
      if (lastInfo.get(info.name) === json) continue;
      lastInfo.set(info.name, json);
      emit({ type: 'cluster', cluster: info });
    }
  };

  const reference = (view: ClusterView, key: string, delta: 1 | -1): void => {
    const before = view.references.get(key) ?? 0;
    const after = before + delta;
    if (after <= 0) view.references.delete(key);
    else view.references.set(key, after);
    const w = view.workloads.get(key);
    if (!w) return;
    if (before === 0 && after > 0) emit({ type: 'workload', workload: w });
    else if (before > 0 && after <= 0)
      emit({ type: 'removed', what: 'workload', uid: w.uid, cluster: view.session.context });
  };

  const onFlux = (view: ClusterView, e: CacheEvent): void => {
    const uid = e.object.metadata.uid ?? '';
    const before = view.objects.get(uid);
    for (const r of before?.inventory ?? []) reference(view, refKey(r), -1);
    if (e.type === 'deleted') {
      view.objects.delete(uid);
      if (before) emit({ type: 'removed', what: 'object', uid, cluster: view.session.context });
      return;
    }
    const next = fluxSummary(view.session.context, e.object);
    if (!next) return;
    view.objects.set(uid, next);
    for (const r of next.inventory ?? []) reference(view, refKey(r), 1);
    emit({ type: 'object', object: next });
  };

  const onWorkload = (view: ClusterView, e: CacheEvent): void => {
    const w = workloadSummary(view.session.context, e.object);
    if (!w) return;
    const key = refKey(w);
    const referenced = view.references.has(key);
    if (e.type === 'deleted') {
      view.workloads.delete(key);
      if (referenced) emit({ type: 'removed', what: 'workload', uid: w.uid, cluster: w.cluster });
      return;
    }
    view.workloads.set(key, w);
    if (referenced) emit({ type: 'workload', workload: w });
  };

  const attach = (session: ClusterSession): void => {
    const view: ClusterView = { session, objects: new Map(), workloads: new Map(), references: new Map(), stops: [] };
    views.set(session.context, view);
    // Without the Flux CRDs there is nothing to watch (and watching an unknown kind would fail).
    if (session.status.role === 'no-flux-crds') return;
    try {
      for (const t of WATCHED_KINDS) view.stops.push(session.watch(t, (e) => onFlux(view, e)));
      for (const t of WORKLOAD_TYPES) view.stops.push(session.watch(t, (e) => onWorkload(view, e)));
    } catch (err) {
      opts.logger.warn('could not watch a connected cluster', { cluster: session.context, error: errorMessage(err) });
    }
  };

  const detach = (context: string): void => {
    const view = views.get(context);
    if (!view) return;
    views.delete(context);
    for (const stop of view.stops.splice(0)) stop();
    for (const o of view.objects.values()) emit({ type: 'removed', what: 'object', uid: o.uid, cluster: context });
    for (const [key, w] of view.workloads)
      if (view.references.has(key)) emit({ type: 'removed', what: 'workload', uid: w.uid, cluster: context });
  };

  const sync = (): void => {
    if (closed) return;
    for (const [context, view] of views) if (fd.registry.session(context) !== view.session) detach(context);
    for (const session of fd.registry.connected()) if (!views.has(session.context)) attach(session);
    emitClusterChanges();
  };
  const offRegistry = fd.registry.onChange(sync);
  // The tray's badge: unread alerts change as the inbox records, reads and acknowledges them.
  const offInbox = fd.inbox.onChange(() =>
    emit({ type: 'engine', paused: fd.paused, unreadAlerts: fd.inbox.counts().unread }),
  );
  sync();

  const clientOf = (cluster: string): ClusterClient => {
    const session = fd.registry.session(cluster);
    if (!session)
      throw new FluxdeckError('not-connected', `Cluster ${cluster} is not connected: connect it in the sidebar first.`);
    return session.client;
  };
  let inboxNotice = fd.inboxNotice;
  const schemas = createKindSchemas();
  const workTrees = createWorkTrees({
    workspaces: fd.workspaces,
    registry: fd.registry,
    clientOf,
    credentials: opts.credentials ?? memoryCredentialStore(),
  });

  const readFlux = async (key: FluxKey, signal: AbortSignal): Promise<KubeObject> => {
    const kind = fluxRef(key).kind;
    return clientOf(key.cluster).get(
      { apiVersion: kind.apiVersion, kind: kind.kind, namespace: key.namespace, name: key.name },
      { signal },
    );
  };

  const fluxRef = (key: FluxKey): FluxObjectRef => {
    const kind = fluxKind(key.kind);
    if (!kind) throw new FluxdeckError('invalid-request', `${key.kind} is not a Flux kind Fluxdeck knows.`);
    return { kind, namespace: key.namespace, name: key.name };
  };

  const outcome = (r: RequestResult): EngineOutcome => {
    const status = (r.object.status ?? {}) as { lastAppliedRevision?: string; artifact?: { revision?: string } };
    const revision = status.lastAppliedRevision ?? status.artifact?.revision;
    return { ok: r.ready, message: r.message, ...(revision !== undefined && { revision }) };
  };

  /** Progress messages of flux-requests, tagged with the phase they belong to. */
  const progressFor = (key: FluxKey, o: ActionOptions): ((message: string) => void) => {
    const self = `${key.kind} ${key.namespace}/${key.name}`;
    return (message) =>
      o.onProgress({
        phase: !message.includes(self) ? 'source' : message.startsWith('waiting') ? 'waiting' : 'requested',
        message,
      });
  };

  return {
    listClusters: () => Promise.resolve(infos()),

    async connect(cluster) {
      if (!fd.registry.contexts().some((c) => c.name === cluster))
        throw new FluxdeckError('not-found', `There is no kubeconfig context named "${cluster}".`);
      try {
        await fd.connect(cluster);
        connectErrors.delete(cluster);
      } catch (err) {
        connectErrors.set(cluster, errorMessage(err));
        sync();
        throw asFluxdeckError(err, `Could not connect ${cluster}`);
      }
      sync();
      const info = infos().find((c) => c.name === cluster);
      if (!info) throw new FluxdeckError('not-found', `The kubeconfig context "${cluster}" disappeared.`);
      return info;
    },

    async disconnect(cluster) {
      await fd.disconnect(cluster);
      connectErrors.delete(cluster);
      sync();
      const info = infos().find((c) => c.name === cluster);
      if (!info) throw new FluxdeckError('not-found', `There is no kubeconfig context named "${cluster}".`);
      return info;
    },

    snapshot() {
      const objects: FluxObjectData[] = [];
      const workloads: Workload[] = [];
      for (const view of views.values()) {
        objects.push(...view.objects.values());
        for (const [key, w] of view.workloads) if (view.references.has(key)) workloads.push(w);
      }
      return { objects, workloads };
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async reconcile(key, o) {
      const client = clientOf(key.cluster);
      const ref = fluxRef(key);
      try {
        return outcome(
          await requestReconcile(client, ref, {
            withSource: o.withSource,
            signal: o.signal,
            timeoutMs: ACTION_TIMEOUT_MS,
            progress: progressFor(key, o),
          }),
        );
      } catch (err) {
        throw asFluxdeckError(err, `Reconcile of ${describeFluxRef(ref)} in ${key.cluster} failed`);
      }
    },

    async suspend(key, o) {
      const client = clientOf(key.cluster);
      const ref = fluxRef(key);
      try {
        o.onProgress({ phase: 'requested', message: `setting spec.suspend on ${describeFluxRef(ref)}` });
        await setSuspended(client, ref, true, {
          signal: o.signal,
          ...(o.reason !== undefined && { reason: o.reason }),
        });
        return { ok: true, message: `${describeFluxRef(ref)} suspended` };
      } catch (err) {
        throw asFluxdeckError(err, `Suspend of ${describeFluxRef(ref)} in ${key.cluster} failed`);
      }
    },

    async resume(key, o) {
      const client = clientOf(key.cluster);
      const ref = fluxRef(key);
      try {
        return outcome(
          await resume(client, ref, { signal: o.signal, timeoutMs: ACTION_TIMEOUT_MS, progress: progressFor(key, o) }),
        );
      } catch (err) {
        throw asFluxdeckError(err, `Resume of ${describeFluxRef(ref)} in ${key.cluster} failed`);
      }
    },

    async getObject(key: ObjectKey): Promise<ObjectLive> {
      const client = clientOf(key.cluster);
      try {
        const info = await client.mapper.resolveGroupKind(key.group, key.kind);
        const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
        const live = await client.get({
          apiVersion,
          kind: key.kind,
          namespace: key.namespace,
          name: key.name,
        });
        const fields = [`involvedObject.kind=${key.kind}`, `involvedObject.name=${key.name}`];
        if (key.namespace) fields.push(`involvedObject.namespace=${key.namespace}`);
        const events = await client
          .list(
            { apiVersion: 'v1', kind: 'Event' },
            { ...(key.namespace && { namespace: key.namespace }), fieldSelector: fields.join(',') },
          )
          .then((l) =>
            l.items.filter(
              (e) => (e as { involvedObject?: { uid?: string } }).involvedObject?.uid === live.metadata.uid,
            ),
          )
          .catch((err: unknown) => {
            opts.logger.warn('could not list events', { object: `${key.kind}/${key.name}`, error: errorMessage(err) });
            return [];
          });
        const timeline = events.map(eventSummary).sort((a, b) => (a.lastSeen ?? '').localeCompare(b.lastSeen ?? ''));
        return { yaml: stringify(redactedForDisplay(live)), events: timeline };
      } catch (err) {
        throw asFluxdeckError(
          err,
          `Could not read ${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name} in ${key.cluster}`,
        );
      }
    },

    async diffKustomization(key: FluxKey): Promise<KustomizationDiff> {
      const client = clientOf(key.cluster);
      try {
        return { key, ...(await previewAgainstArtifact(fd, client, key, AbortSignal.timeout(ACTION_TIMEOUT_MS))) };
      } catch (err) {
        throw asFluxdeckError(err, `The diff of Kustomization ${key.namespace}/${key.name} in ${key.cluster} failed`);
      }
    },

    inbox: fd.inbox,
    inboxNotice: () => inboxNotice,
    dismissInboxNotice: () => {
      inboxNotice = undefined;
    },

    workTrees,

    async editableObject(key, signal) {
      try {
        const live = await readFlux(key, signal);
        const labels = live.metadata.labels ?? {};
        const by = labels[KS_NAME];
        return {
          key,
          yaml: stringify(editableForm(live)),
          resourceVersion: live.metadata.resourceVersion ?? '',
          ...(by && { managedBy: { namespace: labels[KS_NAMESPACE] ?? '', name: by } }),
        };
      } catch (err) {
        throw asFluxdeckError(err, `Could not read ${key.kind} ${key.namespace}/${key.name} in ${key.cluster}`);
      }
    },

    async applyObject(key, yaml, resourceVersion, signal) {
      const what = `${key.kind} ${key.namespace}/${key.name} in ${key.cluster}`;
      try {
        const live = await readFlux(key, signal);
        const patch = mergePatch(editableForm(live), parseEdit(key, live.apiVersion, yaml));
        if (patch === undefined)
          return { key, resourceVersion: live.metadata.resourceVersion ?? '', changed: false, fields: [] };
        const fields = patchedFields(patch);
        // The resourceVersion the user started from makes the apiserver refuse (409) an edit of a stale copy.
        const body = patch as { metadata?: Record<string, unknown> };
        body.metadata = { ...body.metadata, resourceVersion };
        const kind = fluxRef(key).kind;
        const updated = await clientOf(key.cluster).patch(
          { apiVersion: kind.apiVersion, kind: kind.kind, namespace: key.namespace, name: key.name },
          body,
          'merge',
          { fieldManager: CLIENT_SIDE_APPLY_MANAGER, signal },
        );
        return { key, resourceVersion: updated.metadata.resourceVersion ?? '', changed: true, fields };
      } catch (err) {
        const e = asFluxdeckError(err, `Applying the edit of ${what} failed`);
        if (e.code !== 'conflict') throw e;
        throw new FluxdeckError(
          'conflict',
          `${what} changed since you opened it (someone else, or its controller, wrote it): reload it, then make your edit again.`,
          { cause: err },
        );
      }
    },

    async kindSchema(cluster, apiVersion, kind, signal) {
      try {
        return await schemas.get(clientOf(cluster), apiVersion, kind, signal);
      } catch (err) {
        throw asFluxdeckError(err, `Could not read the schema of ${kind} (${apiVersion}) from ${cluster}`);
      }
    },

    setPaused(paused) {
      fd.setPaused(paused);
      emit({ type: 'engine', paused, unreadAlerts: fd.inbox.counts().unread });
      sync();
      return Promise.resolve();
    },
    isPaused: () => fd.paused,
    unreadAlerts: () => fd.inbox.counts().unread,

    async close() {
      if (closed) return;
      closed = true;
      offRegistry();
      offInbox();
      for (const context of [...views.keys()]) detach(context);
      listeners.clear();
      await fd.stop();
    },
  };
}
