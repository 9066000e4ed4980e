/**
 * The workbench: everything the bindings (main/api, main/headless, main/electron, `fluxdeck serve`) ask of the
 * engine, in contract types (and main/notify's inbox, whose items are the contract's). create-workbench.ts implements
 * it over the engine and main/create-fluxdeck.ts returns it as `fluxdeck.workbench`; unit tests of the api use an
 * in-memory implementation (test/support/memory-engine.ts).
 */
import type {
  AbortResult,
  ActionPhase,
  ApplyObjectResult,
  ArtifactPushResult,
  ClusterInfo,
  CommitResult,
  EditableObject,
  EngineStats,
  FluxKey,
  FluxObjectData,
  GitAuthor,
  GitCredentials,
  GitRepositoryKey,
  HelmReleaseKey,
  HelmReleaseView,
  HelmRollbackPreview,
  KindSchema,
  KustomizationDiff,
  ObjectDetail,
  ObjectKey,
  PushResult,
  ReapplyResult,
  Workload,
  WorkTree,
  WorkTreePreview,
  WorkTreeStatus,
  YamlProblem,
} from '../contract/index.ts';
import type { Inbox, InboxChange } from '../notify/index.ts';
import type { BootstrapPort } from './bootstrap-runs.ts';
import type { ImagesPort } from './image-views.ts';
import type { NotificationsPort } from './notification-views.ts';

/** What the engine reads from the cluster for the object panel (the api layer adds the summary it already has). */
export type ObjectLive = Pick<ObjectDetail, 'yaml' | 'events'>;

/** Everything the engine knows about Flux objects and their workloads, read from its watch caches (no API calls). */
export interface EngineSnapshot {
  objects: FluxObjectData[];
  workloads: Workload[];
}

/**
 * One change in the engine's view. Emitted synchronously from the watch caches; the api layer coalesces and batches
 * them per client, so the engine may emit freely (one per watch event).
 */
export type EngineChange =
  | { type: 'object'; object: FluxObjectData }
  | { type: 'workload'; workload: Workload }
  | { type: 'removed'; what: 'object' | 'workload'; uid: string; cluster: string }
  | { type: 'cluster'; cluster: ClusterInfo }
  | { type: 'engine'; paused: boolean; unreadAlerts: number };

/** A progress step of an action; the api layer adds the action id and timestamp. */
export interface ProgressStep {
  phase: Exclude<ActionPhase, 'succeeded' | 'failed'>;
  message: string;
}

export interface ActionOptions {
  /** Aborted when the client goes away or the app quits: stop waiting (the request itself may already be made). */
  signal: AbortSignal;
  onProgress(step: ProgressStep): void;
}

/** How an action ended, as the engine reports it; the api layer adds id, key, action kind and duration. */
export interface EngineOutcome {
  /** Ready=True after the reconcile (or the suspend/resume took effect). */
  ok: boolean;
  /** e.g. "applied revision main@sha1:0a1b2c3" or the Ready=False message. */
  message: string;
  revision?: string;
}

/** The alert inbox, as main/notify keeps it (its items are the contract's InboxItem). */
export type InboxPort = Pick<
  Inbox,
  'list' | 'get' | 'counts' | 'markRead' | 'acknowledge' | 'mute' | 'unmute' | 'mutes' | 'onChange'
>;
export type { InboxChange };

export interface PreviewStep {
  message: string;
  done: number;
  total: number;
}

/**
 * Writable work trees of GitRepositories (main/sources/workspace), named by an id main hands out. Credentials come
 * from the GitRepository's `secretRef` or from what the user entered; neither ever leaves main.
 */
export interface WorkTreePort {
  open(repo: GitRepositoryKey, signal: AbortSignal): Promise<WorkTree>;
  read(id: string, path: string): Promise<string>;
  write(id: string, path: string, text: string): Promise<WorkTreeStatus>;
  status(id: string): Promise<WorkTreeStatus>;
  validate(id: string): Promise<YamlProblem[]>;
  /** Builds every Kustomization whose path holds a changed file, from the work tree, and dry-runs it. */
  preview(id: string, opts: { signal: AbortSignal; onProgress(step: PreviewStep): void }): Promise<WorkTreePreview>;
  commit(id: string, opts: { message: string; author?: GitAuthor }): Promise<CommitResult>;
  push(id: string): Promise<PushResult>;
  reapply(id: string, keepMine: boolean): Promise<ReapplyResult>;
  abort(id: string): Promise<AbortResult>;
  setCredentials(id: string, credentials: GitCredentials, remember: boolean): Promise<WorkTree>;
  forgetCredentials(id: string): Promise<WorkTree>;
  /** Packs a directory of the work tree as a Flux OCI artifact and pushes it (credentials: the Docker config). */
  pushArtifact(
    id: string,
    input: { dir: string; url: string; insecure: boolean },
    opts: { signal: AbortSignal; onProgress(step: PreviewStep): void },
  ): Promise<ArtifactPushResult>;
}

/** The HelmRelease panel: its release view and the Helm actions (helm-releases.ts). */
export interface HelmReleasePort {
  /** History (status.history + Helm's records), values with their origins (Secret values masked), tests. */
  view(key: HelmReleaseKey, signal: AbortSignal): Promise<HelmReleaseView>;
  /** The current revision's manifest and `revision`'s, Secret values masked. */
  rollbackPreview(key: HelmReleaseKey, revision: number, signal: AbortSignal): Promise<HelmRollbackPreview>;
  /** `flux reconcile hr --force`. */
  forceUpgrade(key: HelmReleaseKey, opts: ActionOptions): Promise<EngineOutcome>;
  /** `flux reconcile hr --reset`: the failure counters start again. */
  reset(key: HelmReleaseKey, opts: ActionOptions): Promise<EngineOutcome>;
  /** `helm test` with the HelmRelease's filters; ok when every test passed. */
  test(key: HelmReleaseKey, opts: ActionOptions): Promise<EngineOutcome>;
  /** Suspends the HelmRelease, then `helm rollback` to `revision`. */
  rollback(key: HelmReleaseKey, revision: number, opts: ActionOptions): Promise<EngineOutcome>;
  /** Deletes the HelmRelease and waits for the release to be uninstalled. */
  uninstall(key: HelmReleaseKey, opts: ActionOptions & { suspendKustomization: boolean }): Promise<EngineOutcome>;
}

export type { BootstrapPort, ImagesPort };

export interface Workbench {
  /** Every context of the user's kubeconfigs, with connection state and auth health. Never connects. */
  listClusters(): Promise<ClusterInfo[]>;
  /** Connects a context (lazily: only when asked), starts its watches and, unless observing, its controllers. */
  connect(cluster: string): Promise<ClusterInfo>;
  /** Stops the context's controllers and watches and releases its lease. */
  disconnect(cluster: string): Promise<ClusterInfo>;

  /** The current Flux objects and inventory workloads of every connected cluster. */
  snapshot(): EngineSnapshot;
  /**
   * Starts no reconcile until the returned function is called or `maxMs` passed, so a UI that is opening gets the
   * CPU for its first graph before the start-up reconciles of every object (the api layer holds this until a UI read
   * the first snapshot).
   */
  holdReconciles(maxMs: number): () => void;
  /** Changes after the snapshot; returns the unsubscribe function. */
  subscribe(listener: (change: EngineChange) => void): () => void;

  /**
   * Like `flux reconcile <kind> <name> [--with-source]`: fails with FluxdeckError('suspended') if suspended;
   * annotates `reconcile.fluxcd.io/requestedAt` (the source first and waits for it when `withSource`), then resolves
   * when `status.lastHandledReconcileAt` has the new value and Ready has settled.
   */
  reconcile(key: FluxKey, opts: ActionOptions & { withSource: boolean }): Promise<EngineOutcome>;
  /** Like `flux suspend`: merge-patches `spec.suspend: true` (and the reason annotation when given). */
  suspend(key: FluxKey, opts: ActionOptions & { reason?: string }): Promise<EngineOutcome>;
  /** Like `flux resume`: patches `spec.suspend: false`, requests a reconcile and waits for Ready to settle. */
  resume(key: FluxKey, opts: ActionOptions): Promise<EngineOutcome>;

  /**
   * Live YAML (managedFields stripped, Secret `data`/`stringData` values removed) and the object's Kubernetes
   * events, oldest first. FluxdeckError('not-found') if it does not exist.
   */
  getObject(key: ObjectKey): Promise<ObjectLive>;
  /** What applying the Kustomization's current artifact would change (like `flux diff kustomization`). */
  diffKustomization(key: FluxKey): Promise<KustomizationDiff>;

  /** Pauses (or resumes) every controller on every cluster; watches keep running so the UI stays live. */
  setPaused(paused: boolean): Promise<void>;
  isPaused(): boolean;
  /** Reconciles, requests, queue depth and memory per cluster (`fluxdeck stats`, the costs panel). */
  stats(): EngineStats;
  /** Unread alerts in the inbox (0 until the inbox exists). */
  unreadAlerts(): number;

  readonly inbox: InboxPort;
  /** Set when the inbox database was moved aside or kept in memory, until a client showed it. */
  inboxNotice(): string | undefined;
  dismissInboxNotice(): void;

  readonly workTrees: WorkTreePort;
  /** A Flux object as the editor shows it (no status, no server-set metadata). */
  editableObject(key: FluxKey, signal: AbortSignal): Promise<EditableObject>;
  /** Applies an edited Flux object (merge patch, field manager `flux-client-side-apply`, resourceVersion checked). */
  applyObject(key: FluxKey, yaml: string, resourceVersion: string, signal: AbortSignal): Promise<ApplyObjectResult>;
  /** The JSON schema of a kind, from the cluster's OpenAPI v3 (or the CRD), cached per cluster. */
  kindSchema(cluster: string, apiVersion: string, kind: string, signal: AbortSignal): Promise<KindSchema>;

  readonly helmReleases: HelmReleasePort;
  /** The image automation panels and the fleet images view (image-views.ts). */
  readonly images: ImagesPort;

  /** Providers, Alerts, Receivers, deliveries, test events and the local notification settings. */
  readonly notifications: NotificationsPort;

  /** The bootstrap wizard's runs against connected clusters (bootstrap-runs.ts). */
  readonly bootstrap: BootstrapPort;

  /** Stops controllers and watches, releases leases, closes clients. Idempotent. */
  close(): Promise<void>;
}
