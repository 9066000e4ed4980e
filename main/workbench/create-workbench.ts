/**
 * The workbench over the engine (main/create-fluxdeck.ts builds both): what the UI and the CLI ask of Fluxdeck, in
 * contract types. Each concern lives in its own module (cluster views, flux verbs, object views, previews, work
 * trees); this file binds them to one engine and owns the lifecycle.
 */
import { type EngineStats, FluxdeckError } from '../contract/index.ts';
import { automationRootFor, tagStoreFor } from '../controllers/image-controllers.ts';
import type { BuildWorkers } from '../controllers/kustomization/build.ts';
import type { ClusterRegistry } from '../engine/cluster-registry.ts';
import type { ClusterSession } from '../engine/cluster-session.ts';
import type { HelmClient, KubeAccess } from '../helm/index.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import type { KubeconfigStore } from '../kube/kubeconfig-store.ts';
import type { AlertDispatcher, Inbox } from '../notify/index.ts';
import type { ArtifactStore } from '../sources/artifacts/artifact-store.ts';
import type { Workspaces } from '../sources/workspace/index.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { bootstrapRuns } from './bootstrap-runs.ts';
import { ClusterViews } from './cluster-views.ts';
import { type CredentialStore, memoryCredentialStore } from './credential-store.ts';
import { asFluxdeckError } from './errors.ts';
import { ACTION_TIMEOUT_MS, fluxVerbs } from './flux-verbs.ts';
import { helmReleases } from './helm-releases.ts';
import { imageViews } from './image-views.ts';
import { createNotificationViews, type ReceiverControl } from './notification-views.ts';
import { objectViews } from './object-views.ts';
import { type HelmPreviewDeps, previewAgainstArtifact } from './previews.ts';
import { openSettingsFile } from './settings-file.ts';
import { createWorkTrees } from './work-trees.ts';
import type { Workbench } from './workbench.ts';

/** The parts of the engine the workbench works on (main/create-fluxdeck.ts's Fluxdeck has them all). */
export interface WorkbenchEngine {
  readonly registry: ClusterRegistry;
  readonly kubeconfigs: KubeconfigStore;
  readonly store: ArtifactStore;
  readonly builds: BuildWorkers;
  readonly inbox: Inbox;
  readonly inboxNotice?: string;
  readonly workspaces: Workspaces;
  /** Where settings.json lives. */
  readonly dataDir: string;
  /** Flux Alerts and Providers: the delivery logs and test events. */
  readonly alerts: Pick<AlertDispatcher, 'deliveries' | 'sendTest'>;
  /** The webhook receiver server (off until started). */
  readonly receiver: ReceiverControl;
  /** The shared Helm helper client and the kubeconfig context it reaches a cluster with. */
  helm(): HelmClient;
  kubeAccess(context: string): KubeAccess;
  connect(context: string): Promise<unknown>;
  disconnect(context: string): Promise<void>;
  setPaused(paused: boolean): void;
  readonly paused: boolean;
  /** See Workbench.holdReconciles. */
  holdReconciles(maxMs: number): () => void;
  /** What the engine spends (main/engine/cost-meter.ts). */
  stats(): EngineStats;
  /** Stops the engine (controllers, watches, leases, workers). */
  stop(): Promise<void>;
}

export interface WorkbenchOptions {
  logger: Logger;
  /** Where git credentials the user enters are kept (default: this process's memory, as `fluxdeck serve` does). */
  credentials?: CredentialStore;
}

export function createWorkbench(engine: WorkbenchEngine, opts: WorkbenchOptions): Workbench {
  const views = new ClusterViews({ registry: engine.registry, kubeconfigs: engine.kubeconfigs, logger: opts.logger });
  let closing: Promise<void> | undefined;
  let inboxNotice = engine.inboxNotice;

  const engineState = (): void =>
    views.emit({ type: 'engine', paused: engine.paused, unreadAlerts: engine.inbox.counts().unread });
  // The tray's badge: unread alerts change as the inbox records, reads and acknowledges them.
  const offInbox = engine.inbox.onChange(engineState);

  // Previews render HelmReleases with the shared helper, through the context's own access.
  const helmPreview = (cluster: string): HelmPreviewDeps => ({
    helm: engine.helm(),
    store: engine.store,
    kubeAccess: () => engine.kubeAccess(cluster),
  });

  const sessionOf = (cluster: string): ClusterSession => {
    const session = engine.registry.session(cluster);
    if (!session)
      throw new FluxdeckError('not-connected', `Cluster ${cluster} is not connected: connect it in the sidebar first.`);
    return session;
  };
  const clientOf = (cluster: string): ClusterClient => sessionOf(cluster).client;
  const infoOf = (cluster: string): ReturnType<ClusterViews['infos']>[number] => {
    const info = views.info(cluster);
    if (!info) throw new FluxdeckError('not-found', `There is no kubeconfig context named "${cluster}".`);
    return info;
  };

  return {
    listClusters: () => Promise.resolve(views.infos()),

    async connect(cluster) {
      infoOf(cluster);
      try {
        await engine.connect(cluster);
        views.noteConnect(cluster);
      } catch (err) {
        views.noteConnect(cluster, errorMessage(err));
        throw asFluxdeckError(err, `Could not connect ${cluster}`);
      }
      return infoOf(cluster);
    },

    async disconnect(cluster) {
      await engine.disconnect(cluster);
      views.noteConnect(cluster);
      return infoOf(cluster);
    },

    snapshot: () => views.snapshot(),
    holdReconciles: (maxMs) => engine.holdReconciles(maxMs),
    subscribe: (listener) => views.subscribe(listener),
    ...fluxVerbs(clientOf),
    ...objectViews(clientOf, opts.logger),

    async diffKustomization(key) {
      const client = clientOf(key.cluster);
      try {
        return { key, ...(await previewAgainstArtifact(engine, client, key, AbortSignal.timeout(ACTION_TIMEOUT_MS))) };
      } catch (err) {
        throw asFluxdeckError(err, `The diff of Kustomization ${key.namespace}/${key.name} in ${key.cluster} failed`);
      }
    },

    helmReleases: helmReleases({
      session: sessionOf,
      helm: () => engine.helm(),
      kubeAccess: (cluster) => engine.kubeAccess(cluster),
    }),

    images: imageViews({
      clientOf,
      sessions: () => engine.registry.connected(),
      tags: tagStoreFor({ store: engine.store }),
      automationRoot: automationRootFor({ store: engine.store }),
    }),

    notifications: createNotificationViews({
      clusters: () => engine.registry.connected().map((s) => ({ context: s.context, client: s.client })),
      alerts: engine.alerts,
      receiver: engine.receiver,
      settings: openSettingsFile(engine.dataDir, opts.logger),
    }),

    bootstrap: bootstrapRuns({
      target: (cluster) => ({
        client: clientOf(cluster),
        openWorkspace: (spec, opts) => engine.workspaces.open(spec, opts),
      }),
      connect: (cluster) => engine.connect(cluster),
      paused: () => engine.paused,
    }),

    inbox: engine.inbox,
    inboxNotice: () => inboxNotice,
    dismissInboxNotice: () => {
      inboxNotice = undefined;
    },

    workTrees: createWorkTrees({
      workspaces: engine.workspaces,
      registry: engine.registry,
      clientOf,
      credentials: opts.credentials ?? memoryCredentialStore(),
      builds: engine.builds,
      helm: helmPreview,
    }),

    setPaused(paused) {
      engine.setPaused(paused);
      engineState();
      views.sync();
      return Promise.resolve();
    },
    isPaused: () => engine.paused,
    stats: () => engine.stats(),
    unreadAlerts: () => engine.inbox.counts().unread,

    close: () =>
      (closing ??= (async () => {
        offInbox();
        views.close();
        await engine.stop();
      })()),
  };
}
