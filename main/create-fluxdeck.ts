import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { fluxEventSink } from './controllers/flux-events.ts';
import { type FluxSessionDeps, type FluxSessionPlugin, fluxSessionPlugin } from './controllers/flux-session.ts';
import { ClusterRegistry } from './engine/cluster-registry.ts';
import type { ClusterSession } from './engine/cluster-session.ts';
import type { ManagerEvents } from './engine/controller-manager.ts';
import { type CostMeter, startCostMeter } from './engine/cost-meter.ts';
import { EventBus } from './engine/event-bus.ts';
import { kubeCacheFactory } from './engine/kube-cache.ts';
import { holdFor, startLoopGate } from './engine/loop-gate.ts';
import type { FluxEvent } from './flux/events.ts';
import { fluxKinds } from './flux/kinds.ts';
import { HelmClient } from './helm/index.ts';
import { AuthHealthRegistry } from './kube/auth-health.ts';
import { type KubeconfigStore, openKubeconfigStore } from './kube/kubeconfig-store.ts';
import { kubeconfigYamlFor } from './kube/kubeconfig-yaml.ts';
import { WorkerPool } from './kustomize/index.ts';
import {
  type AlertDispatcher,
  type AlertDispatcherOptions,
  type Inbox,
  type InboxFeed,
  openInbox,
  type ReceiverServer,
  type RuleSettings,
  startAlertDispatcher,
  startInboxFeed,
  startObservedEventFeed,
  startReceiverServer,
} from './notify/index.ts';
import { ArtifactStore } from './sources/artifacts/artifact-store.ts';
import { openArtifact } from './sources/artifacts/open-artifact.ts';
import { UnpackedArtifacts } from './sources/artifacts/unpacked-artifacts.ts';
import { GitSource } from './sources/git-source.ts';
import { Workspaces } from './sources/workspace/index.ts';
import { errorMessage } from './util/errors.ts';
import { type Logger, silentLogger } from './util/logger.ts';
import { defaultDataDir, privateDir } from './util/paths.ts';
import type { CredentialStore, ReceiverControl } from './workbench/index.ts';
import type { Workbench } from './workbench/index.ts';
import { createWorkbench } from './workbench/index.ts';

/**
 * The composition root (ARCHITECTURE.md): one engine with every controller, store and notifier, built the same way
 * for the Electron app, `fluxdeck run`, `fluxdeck serve` and the integration tests.
 */

export interface FluxdeckEvents extends ManagerEvents {
  /** A controller reported something about a Flux object (also recorded as a Kubernetes Event). */
  'flux.event': FluxEvent;
}

export interface FluxdeckOptions {
  /** App data: artifacts, git caches, the inbox. Default: the platform's (see main/util/paths.ts). */
  dataDir?: string;
  /** Kubeconfig files; default $KUBECONFIG or ~/.kube/config. */
  kubeconfigPaths?: string[];
  /** Watch the kubeconfig files for changes (default true). */
  watchKubeconfigs?: boolean;
  logger?: Logger;
  /** Reconcile where allowed (default true); false watches and shows only. */
  reconcile?: boolean;
  /** This instance's Lease identity; default `<host>-<pid>-<random>`. */
  identity?: string;
  /** Namespace of the per-cluster `fluxdeck-controllers` Lease (default kube-system). */
  leaseNamespace?: string;
  leaseDurationMs?: number;
  observeCheckMs?: number;
  /**
   * Base of the `status.artifact.url` sources write: the address in-cluster source-controller advertises (default
   * `http://source-controller.flux-system.svc.cluster.local.`). Set it when Flux runs elsewhere (another namespace, out
   * of cluster), so Flux's kustomize-controller can fetch the artifact at once after a hand-off.
   */
  artifactBaseUrl?: string;
  /** Worker threads for kustomize builds and for git fetch/archive work. */
  workers?: { builds?: number; git?: number };
  concurrency?: { GitRepository?: number; Kustomization?: number };
  /** Largest object a Bucket source may hold, in bytes (default 64 MiB). */
  bucketMaxObjectBytes?: number;
  /** The Helm helper binary; default: found by main/helm/helper-path.ts. */
  helmHelper?: string;
  /** Where git credentials the user enters in the editor are kept (default: memory; the desktop app: the keychain). */
  credentials?: CredentialStore;
  /** Publishing what the engine spends to `<dataDir>/stats` for `fluxdeck stats` (default: on, every 10 s). */
  stats?: { publish?: boolean; everyMs?: number };
  /** The alert inbox (main/notify/README.md); the database is `<dataDir>/inbox.db` unless `path` says otherwise. */
  inbox?: {
    path?: string;
    rules?: Partial<RuleSettings>;
    evaluateEveryMs?: number;
    groupWindowMs?: number;
    retention?: { maxItems?: number; maxAgeMs?: number };
  };
  /** Flux Alerts and Providers (main/notify/alert-dispatcher.ts): rate limit, delivery backoff (tests shorten it). */
  alerts?: Pick<AlertDispatcherOptions, 'rateLimitIntervalMs' | 'configTtlMs' | 'delivery'>;
}

export interface Fluxdeck {
  readonly registry: ClusterRegistry;
  readonly bus: EventBus<FluxdeckEvents>;
  readonly kubeconfigs: KubeconfigStore;
  readonly store: ArtifactStore;
  readonly flux: FluxSessionPlugin;
  readonly identity: string;
  readonly dataDir: string;
  /** Every warning, failure, corrected drift and built-in rule alert, from all clusters (persistent). */
  readonly inbox: Inbox;
  /** Set when the inbox database had to be moved aside or kept in memory: show it to the user once. */
  readonly inboxNotice?: string;
  /** Runs the inbox's time-based rules (suspended too long, source stale) now; a timer runs them every minute. */
  readonly inboxFeed: InboxFeed;
  /** Sends our controllers' events to the Providers of matching Flux Alerts; keeps each Provider's delivery log. */
  readonly alerts: AlertDispatcher;
  /**
   * Starts the Flux webhook receiver server (off until called) on `HOST:PORT` for every connected cluster; it is
   * closed with the engine. Resolves with the bound URL.
   */
  startReceiver(address: string): Promise<ReceiverServer>;
  /** Writable clones for editing GitRepository files (`<dataDir>/workspaces`; main/sources/workspace/README.md). */
  readonly workspaces: Workspaces;
  /** The bounded kustomize build pool: reconciles, previews and diffs all build here. */
  readonly builds: WorkerPool;
  /** What the UI and the CLI ask of the engine (main/workbench): the api layer binds to this. */
  readonly workbench: Workbench;
  /** Reconciles, requests, queue depth and memory, as `fluxdeck stats` and the app's costs panel show them. */
  readonly costs: CostMeter;
  connect(context: string): Promise<ClusterSession>;
  disconnect(context: string): Promise<void>;
  /** Pause or resume reconciling in every cluster (watching goes on). */
  setPaused(paused: boolean): void;
  readonly paused: boolean;
  /** Stops everything: controllers, watches, leases (released), workers. Safe to call twice. */
  stop(): Promise<void>;
}

export async function createFluxdeck(opts: FluxdeckOptions = {}): Promise<Fluxdeck> {
  const logger = opts.logger ?? silentLogger;
  const dataDir = privateDir(opts.dataDir ?? defaultDataDir());
  const identity = opts.identity ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const bus = new EventBus<FluxdeckEvents>((err) =>
    logger.error('event listener failed', { error: errorMessage(err) }),
  );
  const kubeconfigs = await openKubeconfigStore({
    ...(opts.kubeconfigPaths ? { paths: opts.kubeconfigPaths } : {}),
    watch: opts.watchKubeconfigs ?? true,
  });
  const store = new ArtifactStore({
    root: join(dataDir, 'artifacts'),
    ...(opts.artifactBaseUrl ? { baseUrl: opts.artifactBaseUrl } : {}),
  });
  const git = new GitSource({ cacheDir: join(dataDir, 'cache', 'git'), store, workers: opts.workers?.git ?? 1 });
  const builds = new WorkerPool({ size: opts.workers?.builds ?? 2 });
  let paused = false;
  const { helm, disposeHelm } = helmOnDemand(opts, logger);
  const kubeAccess = (context: string): { kubeconfig: string; context: string } => ({
    kubeconfig: kubeconfigYamlFor(kubeconfigs.current().config, context),
    context,
  });
  const loopGate = startLoopGate();
  const isPaused = (): boolean => paused;
  const flux = fluxPlugin(opts, { git, store, builds, bus, identity, helm, kubeAccess, loopGate, isPaused });
  const registry = new ClusterRegistry({
    kubeconfigs,
    createCache: kubeCacheFactory,
    health: new AuthHealthRegistry(),
    logger,
    plugins: [flux],
  });
  const { inbox, inboxNotice, inboxFeed } = startInbox(opts, { dataDir, logger, bus, registry });
  const notifications = startNotifications(opts, { logger, bus, registry });
  const { alerts, startReceiver, receiver } = notifications;
  const workspaces = new Workspaces({ root: join(dataDir, 'workspaces') });
  const setPaused = (p: boolean): void => {
    paused = p;
    flux.setPaused(p);
    for (const s of registry.connected()) {
      if (s.status.role === 'reconciling' || s.status.role === 'paused')
        s.setStatus({ role: p ? 'paused' : 'reconciling' });
    }
  };
  const costs = startCostMeter({
    identity,
    sessions: () => registry.connected(),
    queue: (context) => flux.manager(context)?.stats(),
    onReconciled: (listener) => bus.on('reconcile.finished', listener),
    ...(opts.stats?.publish !== false && { publishDir: join(dataDir, 'stats') }),
    ...(opts.stats?.everyMs !== undefined && { publishEveryMs: opts.stats.everyMs }),
  });
  const stopEngine = async (): Promise<void> => {
    costs.close();
    loopGate.stop();
    inboxFeed.stop();
    await notifications.stop();
    await registry.close();
    kubeconfigs.close();
    await Promise.all([builds.close(), git.close(), disposeHelm()]);
    inbox.close();
  };
  const connect = (context: string): Promise<ClusterSession> => registry.connect(context);
  const disconnect = (context: string): Promise<void> => registry.disconnect(context);
  const workbench = createWorkbench(
    {
      registry,
      kubeconfigs,
      store,
      builds,
      inbox,
      ...(inboxNotice ? { inboxNotice } : {}),
      workspaces,
      dataDir,
      alerts,
      receiver,
      helm,
      kubeAccess,
      connect,
      disconnect,
      setPaused,
      get paused() {
        return paused;
      },
      holdReconciles: (maxMs) => holdFor(loopGate, maxMs),
      stats: () => costs.snapshot(),
      stop: stopEngine,
    },
    { logger: logger.child({ part: 'workbench' }), ...(opts.credentials && { credentials: opts.credentials }) },
  );
  return {
    registry,
    bus,
    kubeconfigs,
    store,
    builds,
    flux,
    identity,
    dataDir,
    inbox,
    ...(inboxNotice ? { inboxNotice } : {}),
    inboxFeed,
    alerts,
    startReceiver,
    workspaces,
    workbench,
    costs,
    connect,
    disconnect,
    setPaused,
    get paused() {
      return paused;
    },
    // The workbench stops its views, then the engine; closing either way is the same (and idempotent).
    stop: () => workbench.close(),
  };
}

/** One Helm helper for every cluster, started on the first Helm call (most sessions never run one). */
function helmOnDemand(
  opts: FluxdeckOptions,
  logger: Logger,
): { helm: () => HelmClient; disposeHelm: () => Promise<void> } {
  let client: HelmClient | undefined;
  return {
    helm: () =>
      (client ??= new HelmClient({
        logger: logger.child({ part: 'helm' }),
        ...(opts.helmHelper ? { path: opts.helmHelper } : {}),
      })),
    disposeHelm: async () => {
      await client?.dispose();
    },
  };
}

/** The Flux controllers' plugin for every cluster session, from the options and the engine's shared parts. */
function fluxPlugin(
  opts: FluxdeckOptions,
  parts: Pick<
    FluxSessionDeps,
    'git' | 'store' | 'builds' | 'identity' | 'isPaused' | 'helm' | 'kubeAccess' | 'loopGate'
  > & {
    bus: EventBus<FluxdeckEvents>;
  },
): FluxSessionPlugin {
  const { bus } = parts;
  return fluxSessionPlugin({
    ...parts,
    // Unpacked once per digest for all the Kustomizations of every cluster (idle ones drop out on their own).
    artifacts: new UnpackedArtifacts((a) => openArtifact(parts.store, a)),
    events: fluxEventSink((e) => bus.emit('flux.event', e)),
    leaseNamespace: opts.leaseNamespace ?? 'kube-system',
    reconcile: opts.reconcile ?? true,
    ...(opts.leaseDurationMs ? { leaseDurationMs: opts.leaseDurationMs } : {}),
    ...(opts.observeCheckMs ? { observeCheckMs: opts.observeCheckMs } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.bucketMaxObjectBytes ? { bucketMaxObjectBytes: opts.bucketMaxObjectBytes } : {}),
  });
}

/** The alert inbox (`<dataDir>/inbox.db`, or memory when it cannot be opened) and the feed that fills it. */
function startInbox(
  opts: FluxdeckOptions,
  parts: { dataDir: string; logger: Logger; bus: EventBus<FluxdeckEvents>; registry: ClusterRegistry },
): { inbox: Inbox; inboxNotice?: string; inboxFeed: InboxFeed } {
  const { dataDir, logger, bus, registry } = parts;
  const { inbox, notice: inboxNotice } = openInbox(opts.inbox?.path ?? join(dataDir, 'inbox.db'), {
    logger,
    fallbackToMemory: true,
    ...(opts.inbox?.groupWindowMs ? { groupWindowMs: opts.inbox.groupWindowMs } : {}),
    ...(opts.inbox?.retention ? { retention: opts.inbox.retention } : {}),
  });
  if (inboxNotice) logger.warn(inboxNotice);
  const inboxFeed = startInboxFeed({
    inbox,
    events: bus,
    clusters: registry,
    kinds: {
      sources: [
        fluxKinds.GitRepository,
        fluxKinds.OCIRepository,
        fluxKinds.Bucket,
        fluxKinds.HelmRepository,
        fluxKinds.HelmChart,
      ],
      suspendable: [
        fluxKinds.GitRepository,
        fluxKinds.OCIRepository,
        fluxKinds.Bucket,
        fluxKinds.HelmRepository,
        fluxKinds.HelmChart,
        fluxKinds.Kustomization,
        fluxKinds.HelmRelease,
      ],
    },
    logger,
    ...(opts.inbox?.rules ? { settings: opts.inbox.rules } : {}),
    ...(opts.inbox?.evaluateEveryMs ? { evaluateEveryMs: opts.inbox.evaluateEveryMs } : {}),
  });
  return { inbox, ...(inboxNotice ? { inboxNotice } : {}), inboxFeed };
}

/**
 * Flux's notification API around the bus: Alerts sent to Providers, in-cluster Flux's Events in observe mode, and
 * the webhook receiver server (started on demand).
 */
function startNotifications(
  opts: FluxdeckOptions,
  parts: { logger: Logger; bus: EventBus<FluxdeckEvents>; registry: ClusterRegistry },
): {
  alerts: AlertDispatcher;
  startReceiver: (address: string) => Promise<ReceiverServer>;
  receiver: ReceiverControl;
  stop(): Promise<void>;
} {
  const { logger, bus, registry } = parts;
  const alerts = startAlertDispatcher({
    ...opts.alerts,
    events: bus,
    session: (context) => registry.session(context),
    logger: logger.child({ part: 'alerts' }),
  });
  // Observe mode: in-cluster Flux's own Events feed the same stream as our controllers' events.
  const observedEvents = startObservedEventFeed({
    sessions: () => registry.connected(),
    onChange: (listener) => registry.onChange(listener),
    publish: (e) => bus.emit('flux.event', e),
    logger: logger.child({ part: 'observed-events' }),
  });
  let receiver: ReceiverServer | undefined;
  let startedBy: 'setting' | 'flag' | undefined;
  const start = async (address: string, by: 'setting' | 'flag'): Promise<ReceiverServer> => {
    if (receiver) throw new Error(`the receiver server already listens on ${receiver.url}`);
    receiver = await startReceiverServer({
      address,
      sessions: () => registry.connected(),
      logger: logger.child({ part: 'receiver' }),
    });
    startedBy = by;
    return receiver;
  };
  return {
    alerts,
    startReceiver: (address) => start(address, 'flag'),
    // The desktop setting (main/workbench/notification-views.ts) turns it on, moves it and off again.
    receiver: {
      state: () => (receiver && startedBy ? { url: receiver.url, startedBy } : {}),
      start: async (address) => (await start(address, 'setting')).url,
      async stop() {
        const r = receiver;
        receiver = undefined;
        startedBy = undefined;
        await r?.close();
      },
    },
    async stop() {
      alerts.stop();
      observedEvents.stop();
      await receiver?.close();
    },
  };
}
