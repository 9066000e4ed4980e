/**
 * An in-memory Workbench for unit tests and the UI benchmark: it holds objects and workloads in maps and emits
 * changes the way the real engine's watch caches do. Actions change the stored objects the way a reconcile would
 * (lastHandledReconcileAt, a new resourceVersion), so the UI's round trip can be exercised without a cluster.
 * Never used by integration or end-to-end tests, which run the real engine.
 */
import {
  type ClusterInfo,
  FluxdeckError,
  type FluxKey,
  type FluxObjectData,
  type KustomizationDiff,
  type ObjectKey,
  type Workload,
} from '../../main/contract/index.ts';
import type { ClusterClient } from '../../main/kube/cluster-client.ts';
import { type Inbox, openInbox } from '../../main/notify/index.ts';
import type { BootstrapDeps } from '../../main/workbench/bootstrap.ts';
import { bootstrapRuns } from '../../main/workbench/bootstrap-runs.ts';
import { createNotificationViews } from '../../main/workbench/notification-views.ts';
import { memorySettingsFile } from '../../main/workbench/settings-file.ts';
import type {
  ActionOptions,
  EngineChange,
  EngineOutcome,
  HelmReleasePort,
  ImagesPort,
  ObjectLive,
  Workbench,
  WorkTreePort,
} from '../../main/workbench/workbench.ts';

export interface MemoryEngine extends Workbench {
  putCluster(info: ClusterInfo): void;
  putObject(obj: FluxObjectData): void;
  putWorkload(w: Workload): void;
  remove(what: 'object' | 'workload', uid: string): void;
  /** The next action on `key` ends with Ready=False and this message. */
  failNext(key: FluxKey, message: string): void;
  /** A real inbox (node:sqlite in memory): tests record alerts into it as the feed would. */
  readonly inbox: Inbox;
  /** The notice the next `inboxNotice()` returns (as if the database had been moved aside). */
  setInboxNotice(notice: string | undefined): void;
  readonly calls: { method: string; key?: FluxKey | ObjectKey; cluster?: string }[];
  /** Every `holdReconciles` asked for, and whether it was released (there are no controllers to hold back). */
  readonly holds: { maxMs: number; released: boolean }[];
  closed: boolean;
}

export function clusterInfo(name: string, state: ClusterInfo['state'] = 'disconnected'): ClusterInfo {
  return {
    name,
    server: `https://127.0.0.1:6443/${name}`,
    current: false,
    state,
    auth: { method: 'client-certificate', status: state === 'connected' ? 'ok' : 'unknown' },
  };
}

function bump(rv: string): string {
  return String(Number(rv) + 1);
}

const keyMatches = (o: FluxObjectData, k: FluxKey): boolean =>
  o.cluster === k.cluster && o.kind === k.kind && o.namespace === k.namespace && o.name === k.name;

/** Work trees need git and a cluster: the memory engine has none unless a test brings its own. */
const noWorkTrees: WorkTreePort = new Proxy({} as WorkTreePort, {
  get: () => () => Promise.reject(new FluxdeckError('unavailable', 'the memory engine has no work trees')),
});

/** Helm releases need the helper and a cluster: the integration tests exercise them against the real ones. */
const noHelmReleases: HelmReleasePort = new Proxy({} as HelmReleasePort, {
  get: () => () => Promise.reject(new FluxdeckError('unavailable', 'the memory engine has no Helm releases')),
});

/** Image views read tag stores, clones and watch caches: the integration tests exercise them against real ones. */
const noImages: ImagesPort = {
  policy: () => Promise.reject(new FluxdeckError('unavailable', 'the memory engine has no image policies')),
  automation: () => Promise.reject(new FluxdeckError('unavailable', 'the memory engine has no image automations')),
  preview: () => Promise.reject(new FluxdeckError('unavailable', 'the memory engine has no image automations')),
  fleet: () => [],
};

/**
 * The bootstrap's first effect is the clone: a test gives the memory engine the clone's outcome (a refusal, or a
 * promise it holds open), which is as far as a bootstrap gets without git and a cluster. The real runs are the
 * integration and end-to-end tests'.
 */
export type OpenWorkspace = BootstrapDeps['openWorkspace'];

/** Never reached: every bootstrap here ends at the clone. */
const noClusterClient = { context: 'none' };

const noClone: OpenWorkspace = () =>
  Promise.reject(new FluxdeckError('unavailable', 'the memory engine has no git repositories'));

export function createMemoryEngine(
  opts: { stepDelayMs?: number; workTrees?: WorkTreePort; openWorkspace?: OpenWorkspace } = {},
): MemoryEngine {
  // A real inbox (node:sqlite in memory): the api's inbox requests and pushes run against the actual store.
  const { inbox } = openInbox(':memory:');
  let inboxNotice: string | undefined;
  const clusters = new Map<string, ClusterInfo>();
  const objects = new Map<string, FluxObjectData>();
  const workloads = new Map<string, Workload>();
  const listeners = new Set<(c: EngineChange) => void>();
  const failures = new Map<string, string>();
  const calls: MemoryEngine['calls'] = [];
  let paused = false;
  const emit = (c: EngineChange): void => {
    for (const l of listeners) l(c);
  };
  const delay = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(resolve, opts.stepDelayMs ?? 0);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new FluxdeckError('cancelled', 'the action was cancelled', { cause: signal.reason }));
      });
    });
  const find = (key: FluxKey): FluxObjectData => {
    if (clusters.get(key.cluster)?.state !== 'connected')
      throw new FluxdeckError('not-connected', `Cluster ${key.cluster} is not connected; connect it first.`);
    const obj = [...objects.values()].find((o) => keyMatches(o, key));
    if (!obj)
      throw new FluxdeckError('not-found', `${key.kind} ${key.namespace}/${key.name} not found in ${key.cluster}`);
    return obj;
  };
  const update = (obj: FluxObjectData, patch: Partial<FluxObjectData>): FluxObjectData => {
    const next = { ...obj, ...patch, resourceVersion: bump(obj.resourceVersion) };
    objects.set(next.uid, next);
    emit({ type: 'object', object: next });
    return next;
  };
  const settle = (key: FluxKey, obj: FluxObjectData, requestedAt: string): EngineOutcome => {
    const failure = failures.get(JSON.stringify(key));
    failures.delete(JSON.stringify(key));
    const ready = failure
      ? { type: 'Ready', status: 'False' as const, reason: 'ReconciliationFailed', message: failure }
      : { type: 'Ready', status: 'True' as const, reason: 'ReconciliationSucceeded', message: 'Applied revision' };
    const next = update(obj, {
      lastHandledReconcileAt: requestedAt,
      conditions: [ready, ...obj.conditions.filter((c) => c.type !== 'Ready' && c.type !== 'Reconciling')],
    });
    const revision = next.revision.lastApplied ?? next.revision.artifact;
    return {
      ok: !failure,
      message: failure ?? `applied revision ${revision ?? ''}`.trim(),
      ...(revision && { revision }),
    };
  };
  const reconcileOne = async (key: FluxKey, o: ActionOptions): Promise<EngineOutcome> => {
    const obj = find(key);
    if (obj.suspended)
      throw new FluxdeckError('suspended', `${key.kind} ${key.namespace}/${key.name} is suspended; resume it first.`);
    const requestedAt = new Date().toISOString();
    const working = update(obj, {
      conditions: [
        { type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'reconciliation in progress' },
        { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'reconciliation in progress' },
      ],
    });
    o.onProgress({ phase: 'waiting', message: `waiting for ${key.kind} reconciliation` });
    await delay(o.signal);
    return settle(key, working, requestedAt);
  };

  // As the real port does: the tray's and status bar's unread count follows the inbox.
  inbox.onChange(() => emit({ type: 'engine', paused, unreadAlerts: inbox.counts().unread }));

  const holds: MemoryEngine['holds'] = [];
  const engine: MemoryEngine = {
    calls,
    holds,
    closed: false,
    putCluster(info) {
      clusters.set(info.name, info);
      emit({ type: 'cluster', cluster: info });
    },
    putObject(obj) {
      objects.set(obj.uid, obj);
      emit({ type: 'object', object: obj });
    },
    putWorkload(w) {
      workloads.set(w.uid, w);
      emit({ type: 'workload', workload: w });
    },
    remove(what, uid) {
      const map = what === 'object' ? objects : workloads;
      const item = map.get(uid);
      if (!item) return;
      map.delete(uid);
      emit({ type: 'removed', what, uid, cluster: item.cluster });
    },
    failNext(key, message) {
      failures.set(JSON.stringify(key), message);
    },
    listClusters: () => Promise.resolve([...clusters.values()]),
    connect(cluster) {
      calls.push({ method: 'connect', cluster });
      const info = clusters.get(cluster);
      if (!info) return Promise.reject(new FluxdeckError('not-found', `no kubeconfig context named ${cluster}`));
      const next: ClusterInfo = { ...info, state: 'connected', auth: { ...info.auth, status: 'ok' } };
      engine.putCluster(next);
      return Promise.resolve(next);
    },
    disconnect(cluster) {
      calls.push({ method: 'disconnect', cluster });
      const info = clusters.get(cluster);
      if (!info) return Promise.reject(new FluxdeckError('not-found', `no kubeconfig context named ${cluster}`));
      for (const o of [...objects.values()]) if (o.cluster === cluster) engine.remove('object', o.uid);
      for (const w of [...workloads.values()]) if (w.cluster === cluster) engine.remove('workload', w.uid);
      const next: ClusterInfo = { ...info, state: 'disconnected' };
      engine.putCluster(next);
      return Promise.resolve(next);
    },
    snapshot: () => ({ objects: [...objects.values()], workloads: [...workloads.values()] }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async reconcile(key, o) {
      calls.push({ method: o.withSource ? 'reconcile-with-source' : 'reconcile', key });
      const obj = find(key);
      if (o.withSource && obj.sourceRef) {
        const src = obj.sourceRef;
        o.onProgress({ phase: 'source', message: `reconciling source ${src.kind} ${src.namespace}/${src.name}` });
        await reconcileOne(
          { cluster: key.cluster, kind: src.kind as FluxKey['kind'], namespace: src.namespace, name: src.name },
          o,
        );
      }
      return reconcileOne(key, o);
    },
    async suspend(key, o) {
      calls.push({ method: 'suspend', key });
      const obj = find(key);
      await delay(o.signal);
      update(obj, { suspended: true });
      return { ok: true, message: `${key.kind} ${key.namespace}/${key.name} suspended` };
    },
    async resume(key, o) {
      calls.push({ method: 'resume', key });
      update(find(key), { suspended: false });
      return reconcileOne(key, o);
    },
    getObject(key: ObjectKey): Promise<ObjectLive> {
      calls.push({ method: 'getObject', key });
      const same = (o: { cluster: string; kind: string; namespace: string; name: string }): boolean =>
        o.cluster === key.cluster && o.kind === key.kind && o.namespace === key.namespace && o.name === key.name;
      if (![...objects.values()].some(same) && ![...workloads.values()].some(same))
        return Promise.reject(new FluxdeckError('not-found', `${key.kind} ${key.name} not found`));
      return Promise.resolve({
        yaml: `apiVersion: v1\nkind: ${key.kind}\nmetadata:\n  name: ${key.name}\n  namespace: ${key.namespace}\n`,
        events: [{ type: 'Normal', reason: 'ReconciliationSucceeded', message: 'Reconciliation finished', count: 1 }],
      });
    },
    diffKustomization(key: FluxKey): Promise<KustomizationDiff> {
      calls.push({ method: 'diff', key });
      find(key);
      return Promise.resolve({ key, entries: [] });
    },
    setPaused(p) {
      paused = p;
      emit({ type: 'engine', paused: p, unreadAlerts: inbox.counts().unread });
      return Promise.resolve();
    },
    isPaused: () => paused,
    holdReconciles(maxMs) {
      const hold = { maxMs, released: false };
      holds.push(hold);
      return () => {
        hold.released = true;
      };
    },
    stats: () => ({
      at: new Date().toISOString(),
      identity: 'memory-engine',
      pid: process.pid,
      uptimeSeconds: 0,
      process: {
        rssBytes: process.memoryUsage().rss,
        heapUsedBytes: process.memoryUsage().heapUsed,
        eventLoopLagP99Ms: 0,
      },
      clusters: [...clusters.values()].map((c) => ({
        context: c.name,
        requestsPerMinute: 0,
        requestsTotal: 0,
        requestsByVerb: {},
        kinds: [],
      })),
    }),
    unreadAlerts: () => inbox.counts().unread,
    // No cluster objects here: the integration and e2e tests exercise Providers against the real control plane.
    notifications: createNotificationViews({
      clusters: () => [],
      alerts: {
        deliveries: () => [],
        sendTest: () => Promise.reject(new FluxdeckError('not-connected', 'the memory engine has no clusters')),
      },
      receiver: {
        state: () => ({}),
        start: () => Promise.resolve('http://127.0.0.1:0'),
        stop: () => Promise.resolve(),
      },
      settings: memorySettingsFile(),
    }),
    inbox,
    inboxNotice: () => inboxNotice,
    dismissInboxNotice: () => {
      inboxNotice = undefined;
    },
    setInboxNotice(notice) {
      inboxNotice = notice;
    },
    workTrees: opts.workTrees ?? noWorkTrees,
    bootstrap: bootstrapRuns({
      target: (cluster) => {
        if (clusters.get(cluster)?.state !== 'connected')
          throw new FluxdeckError('not-connected', `Cluster ${cluster} is not connected; connect it first.`);
        return { client: noClusterClient as unknown as ClusterClient, openWorkspace: opts.openWorkspace ?? noClone };
      },
      connect: (cluster) => engine.connect(cluster),
      paused: () => paused,
    }),
    helmReleases: noHelmReleases,
    images: noImages,
    editableObject(key) {
      const obj = find(key);
      return Promise.resolve({
        key,
        yaml: `apiVersion: ${obj.group}/${obj.version}\nkind: ${obj.kind}\nmetadata:\n  name: ${obj.name}\n  namespace: ${obj.namespace}\nspec: {}\n`,
        resourceVersion: obj.resourceVersion,
      });
    },
    applyObject(key, _yaml, resourceVersion) {
      const obj = find(key);
      if (obj.resourceVersion !== resourceVersion)
        return Promise.reject(new FluxdeckError('conflict', `${key.kind} ${key.name} changed since it was read`));
      const next = update(obj, {});
      return Promise.resolve({ key, resourceVersion: next.resourceVersion, changed: true, fields: ['spec'] });
    },
    kindSchema: (_cluster, apiVersion, kind) =>
      Promise.reject(new FluxdeckError('not-found', `no schema for ${kind} (${apiVersion}) in the memory engine`)),
    close() {
      engine.closed = true;
      listeners.clear();
      inbox.close();
      return Promise.resolve();
    },
  };
  return engine;
}
