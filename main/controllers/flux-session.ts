import type { SessionPlugin } from '../engine/cluster-registry.ts';
import type { ClusterSession } from '../engine/cluster-session.ts';
import {
  type CacheEvent,
  type Controller,
  ControllerManager,
  type ControllerManagerOptions,
  type ManagerEvents,
  needsReconcile,
  type ResourceType,
} from '../engine/controller-manager.ts';
import type { Disposer } from '../engine/disposables.ts';
import type { EventSink } from '../engine/event-bus.ts';
import { LeaderElector } from '../engine/leader-election.ts';
import { kubeLeaseStore } from '../engine/lease-store.ts';
import type { HelmRelease } from '../flux/helm.ts';
import { fluxKinds } from '../flux/kinds.ts';
import { Annotation } from '../flux/meta.ts';
import type { HelmClient, KubeAccess } from '../helm/index.ts';
import { isKubeError } from '../kube/kube-error.ts';
import type { WorkerPool } from '../kustomize/index.ts';
import type { ArtifactStore } from '../sources/artifacts/artifact-store.ts';
import type { UnpackedArtifacts } from '../sources/artifacts/unpacked-artifacts.ts';
import type { GitSource } from '../sources/git-source.ts';
import { errorMessage } from '../util/errors.ts';
import { bucketController } from './bucket/controller.ts';
import { bootstrapChoice, detectFluxControllers } from './crds/detect-flux.ts';
import { type LeaseLike, liveFluxLeases, whoReconciles } from './crds/who-reconciles.ts';
import type { FluxEventSink } from './flux-events.ts';
import { gitRepositoryController } from './gitrepository/controller.ts';
import { helmChartController } from './helmchart/controller.ts';
import { helmReleaseController } from './helmrelease/controller.ts';
import { watchValuesSources } from './helmrelease/values-watch.ts';
import { helmRepositoryController } from './helmrepository/controller.ts';
import { imageControllers } from './image-controllers.ts';
import { kustomizationController } from './kustomization/controller.ts';
import { RemoteClients } from './kustomization/target-client.ts';
import { ociRepositoryController } from './ocirepository/controller.ts';
import { RECEIVER, receiverController } from './receiver/controller.ts';
import { cachesKind, NOTIFICATION_KINDS, OPTIONAL_KINDS, REQUIRED_KINDS, watchedFluxTypes } from './watched-kinds.ts';

/**
 * What Fluxdeck does in each connected cluster: watch the Flux objects (always: the UI shows them), and reconcile
 * them only when (a) Flux's own controllers do not run there (observe mode otherwise), and (b) this instance holds the
 * cluster's `fluxdeck-controllers` Lease (another Fluxdeck instance may). Both are re-checked while connected.
 */

/** Flux's predicates: the engine's, with `reconcile.fluxcd.io/requestedAt` as the request annotation. */
const fluxPredicate = (e: CacheEvent): boolean => needsReconcile(e, Annotation.ReconcileRequestedAt);

export type ClusterRole = 'reconciling' | 'standby' | 'observing' | 'no-flux-crds' | 'paused';

export interface FluxSessionDeps {
  git: GitSource;
  store: ArtifactStore;
  /** The store's artifacts, unpacked and kept in memory for the Kustomizations that build from them. */
  artifacts: UnpackedArtifacts;
  builds: WorkerPool;
  events: FluxEventSink;
  bus: EventSink<ManagerEvents>;
  /** This instance's name in the Lease (`holderIdentity`). */
  identity: string;
  leaseNamespace: string;
  leaseDurationMs?: number;
  /** How often to look again for Flux's own controllers (ms). */
  observeCheckMs?: number;
  /** How often a session without Flux's CRDs looks for them again (ms, default 5000). */
  crdCheckMs?: number;
  /** False: never reconcile, only watch (e.g. a read-only session). */
  reconcile: boolean;
  concurrency?: { GitRepository?: number; Kustomization?: number };
  /** Largest object a Bucket source may hold (bytes). */
  bucketMaxObjectBytes?: number;
  /** A context of the user's kubeconfigs as kubeconfig text for the Helm helper (in memory only: it holds credentials). */
  kubeAccess?: (context: string) => KubeAccess;
  isPaused(): boolean;
  /** The Helm helper client, shared by every cluster: started on first call, disposed when Fluxdeck stops. */
  helm: () => HelmClient;
  /** Where ImageRepositories' scanned tags are kept; default `image-tags` beside the artifact store. */
  imageTagsDir?: string;
  /** Shared by every cluster's controllers: no reconcile starts while the main event loop is behind. */
  loopGate?: ControllerManagerOptions['gate'];
}

export interface FluxSessionPlugin extends SessionPlugin {
  /** Pauses or resumes reconciling in every session (the tray's "pause all reconciling"). */
  setPaused(paused: boolean): void;
  /** The controller manager of a session while it leads (tests and benchmarks wait on it). */
  manager(context: string): ControllerManager | undefined;
}

/** What the sessions of one Fluxdeck share. */
interface Shared {
  /** The controller manager of each session that leads, by context. */
  managers: Map<string, ControllerManager>;
  /**
   * Which context campaigns for the Lease of each API server. Two contexts of one kubeconfig often reach the same
   * cluster (another user, another default namespace); they hold the Lease under the same identity, so both would
   * "lead" and reconcile every object twice, racing each other. The first to campaign does; the others stand by.
   */
  campaigns: Map<string, string>;
}

export function fluxSessionPlugin(deps: FluxSessionDeps): FluxSessionPlugin {
  const shared: Shared = { managers: new Map(), campaigns: new Map() };
  const { managers } = shared;
  return {
    name: 'flux',
    setPaused: (paused) => {
      for (const m of managers.values()) m.pause(paused);
    },
    manager: (context) => managers.get(context),
    start: async (session) => {
      const begin = (): Promise<Disposer | undefined> => startFluxSession(session, deps, shared);
      if (await fluxCrdsInstalled(session)) return begin();
      return whenCrdsInstalled(session, deps.crdCheckMs ?? CRD_CHECK_MS, begin);
    },
  };
}

/** How often a session without Flux's CRDs looks for them again (a bootstrap or `fluxdeck install` adds them). */
const CRD_CHECK_MS = 5000;
/** How soon a session standing by for another context of the same cluster looks again (that one may disconnect). */
const SIBLING_RECHECK_MS = 5000;

async function startFluxSession(
  session: ClusterSession,
  deps: FluxSessionDeps,
  shared: Shared,
): Promise<Disposer | undefined> {
  for (const t of REQUIRED_KINDS) session.cache(t);
  for (const t of await servedOptionalKinds(session)) session.cache(t);
  if (!deps.reconcile) {
    session.setStatus({ role: 'observing', message: 'read-only: Fluxdeck does not reconcile in this session' });
    return undefined;
  }
  const run = new SessionRun(session, deps, shared);
  await run.start();
  return () => run.stop();
}

/**
 * A cluster connected before its Flux CRDs exist (the desktop wizard's bootstrap installs them into a connected
 * session): look again every `everyMs`, with fresh discovery, and start once they are served. The disposer stops the
 * looking, or the session started meanwhile.
 */
function whenCrdsInstalled(
  session: ClusterSession,
  everyMs: number,
  begin: () => Promise<Disposer | undefined>,
): Disposer {
  // An object, so the reads after an await are not narrowed away by the compiler.
  const state: { stopped: boolean; started?: Promise<Disposer | undefined>; timer?: ReturnType<typeof setTimeout> } = {
    stopped: false,
  };
  const later = (): void => {
    state.timer = setTimeout(() => {
      look().catch((err: unknown) => {
        session.logger.warn('looking for the Flux CRDs failed', { error: errorMessage(err) });
        later();
      });
    }, everyMs);
  };
  const look = async (): Promise<void> => {
    session.client.mapper.invalidate();
    const installed = await fluxCrdsInstalled(session);
    if (state.stopped) return;
    if (!installed) return later();
    session.logger.info('the Flux CRDs are installed now; starting the controllers');
    state.started = begin();
  };
  later();
  return async () => {
    state.stopped = true;
    clearTimeout(state.timer);
    const dispose = await state.started?.catch(() => undefined);
    await dispose?.();
  };
}

async function servedOptionalKinds(session: ClusterSession): Promise<ResourceType[]> {
  const served: ResourceType[] = [];
  for (const t of [...OPTIONAL_KINDS, ...NOTIFICATION_KINDS]) {
    try {
      await session.client.mapper.resolve(t.apiVersion, t.kind);
      served.push(t);
    } catch (err) {
      if (!isKubeError(err, 'UnknownKind')) throw err;
      session.logger.info('the cluster does not serve this Flux kind; not watching it', {
        kind: `${t.kind} (${t.apiVersion})`,
      });
    }
  }
  return served;
}

async function fluxCrdsInstalled(session: ClusterSession): Promise<boolean> {
  try {
    for (const t of REQUIRED_KINDS) await session.client.mapper.resolve(t.apiVersion, t.kind);
    return true;
  } catch (err) {
    if (!isKubeError(err, 'UnknownKind')) throw err;
    session.setStatus({
      role: 'no-flux-crds',
      message: `the Flux CRDs are not installed in this cluster; run: fluxdeck install --context ${session.context}`,
    });
    return false;
  }
}

/** Observe-mode checks and leader election for one session. */
class SessionRun {
  private readonly session: ClusterSession;
  private readonly deps: FluxSessionDeps;
  private readonly shared: Shared;
  /** The cluster's API server, as the key of `shared.campaigns`. */
  private readonly server: string;
  private readonly abort = new AbortController();
  private election: { stop: AbortController; done: Promise<void> } | undefined;
  private manager: ControllerManager | undefined;
  private remotes = new RemoteClients();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopValuesWatch: (() => void) | undefined;

  constructor(session: ClusterSession, deps: FluxSessionDeps, shared: Shared) {
    this.session = session;
    this.deps = deps;
    this.shared = shared;
    this.server = session.client.server.replace(/\/+$/, '').toLowerCase();
  }

  async start(): Promise<void> {
    this.schedule(await this.check());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.stopElection();
  }

  /** The next check: the usual period, or sooner when a live Flux Lease runs out (takeover within its duration). */
  private schedule(recheckAt: number | undefined): void {
    if (this.abort.signal.aborted) return;
    const period = this.deps.observeCheckMs ?? 60_000;
    const delay = recheckAt === undefined ? period : Math.max(250, Math.min(period, recheckAt - Date.now() + 250));
    this.timer = setTimeout(() => {
      this.check()
        .catch((err: unknown) => {
          this.session.logger.warn('observe-mode check failed', { error: errorMessage(err) });
          return undefined;
        })
        .then((next) => this.schedule(next))
        .catch(() => undefined);
    }, delay);
    this.timer.unref();
  }

  /**
   * Observe while Flux's controllers renew their Leases; otherwise campaign for the fluxdeck-controllers Lease.
   * Returns when to look again at the latest.
   */
  private async check(): Promise<number | undefined> {
    const { session, deps } = this;
    const signal = this.abort.signal;
    const [leases, choice] = await Promise.all([
      listLeases(session.client, signal),
      bootstrapChoice(session.client, signal),
    ]);
    const now = Date.now();
    const fluxVersion = liveFluxLeases(leases, now).length > 0 ? await fluxVersionOf(session, signal) : undefined;
    // Stopped meanwhile: start nothing.
    if (signal.aborted) return undefined;
    const who = whoReconciles({
      leases,
      now,
      identity: deps.identity,
      leaseNamespace: deps.leaseNamespace,
      fluxVersion,
      ...choice,
    });
    if (who.action === 'observe') {
      await this.stopElection();
      session.setStatus({
        role: 'observing',
        message: who.message,
        reconciler: who.reconciler,
        reconcilerVersion: fluxVersion,
      });
      if (who.reconciler === 'both') session.logger.warn(who.message);
    } else if (!this.election) {
      const sibling = this.shared.campaigns.get(this.server);
      if (sibling !== undefined && sibling !== session.context) {
        session.setStatus({
          role: 'standby',
          message: `context ${sibling} of this Fluxdeck reconciles this cluster (same API server, ${this.server})`,
          reconciler: 'desktop',
          reconcilerVersion: undefined,
        });
        return Math.min(who.recheckAt ?? Infinity, Date.now() + SIBLING_RECHECK_MS);
      }
      this.shared.campaigns.set(this.server, session.context);
      session.setStatus({ reconciler: who.reconciler, reconcilerVersion: undefined });
      this.startElection();
    }
    return who.recheckAt;
  }

  private startElection(): void {
    const stop = new AbortController();
    const { session, deps } = this;
    this.session.setStatus({ role: 'standby', message: 'waiting for the fluxdeck-controllers lease' });
    const elector = new LeaderElector({
      store: kubeLeaseStore(session.client, deps.leaseNamespace, 'fluxdeck-controllers'),
      identity: deps.identity,
      ...(deps.leaseDurationMs
        ? {
            leaseDurationMs: deps.leaseDurationMs,
            renewDeadlineMs: (deps.leaseDurationMs * 2) / 3,
            retryPeriodMs: deps.leaseDurationMs / 7,
          }
        : {}),
      onStartedLeading: () => this.lead(),
      onStoppedLeading: () => this.follow('lost the fluxdeck-controllers lease'),
      onNewLeader: (id) => {
        if (id && id !== deps.identity)
          session.setStatus({
            role: 'standby',
            message: `another Fluxdeck instance (${id}) reconciles this cluster`,
            reconciler: 'desktop',
          });
      },
      logger: session.logger,
    });
    this.election = { stop, done: elector.run(stop.signal) };
  }

  private async stopElection(): Promise<void> {
    const e = this.election;
    this.election = undefined;
    if (!e) return;
    if (this.shared.campaigns.get(this.server) === this.session.context) this.shared.campaigns.delete(this.server);
    e.stop.abort();
    await e.done;
    await this.stopManager();
  }

  private lead(): void {
    const { session, deps } = this;
    const served = new Set(watchedFluxTypes(session).map((t) => t.kind));
    const controllers: Controller[] = [
      ...(served.has('OCIRepository')
        ? [ociRepositoryController({ session, store: deps.store, events: deps.events })]
        : []),
      ...(served.has('Bucket')
        ? [
            bucketController({
              session,
              store: deps.store,
              events: deps.events,
              ...(deps.bucketMaxObjectBytes !== undefined && { maxObjectBytes: deps.bucketMaxObjectBytes }),
            }),
          ]
        : []),
      gitRepositoryController({
        session,
        git: deps.git,
        store: deps.store,
        events: deps.events,
        concurrency: deps.concurrency?.GitRepository,
      }),
      kustomizationController({
        session,
        builds: deps.builds,
        events: deps.events,
        openArtifact: async (artifact) => (await deps.artifacts.open(artifact)).files,
        artifactExists: (artifact) => deps.store.exists(artifact),
        remotes: this.remotes,
        concurrency: deps.concurrency?.Kustomization,
      }),
      ...this.helmControllers(served),
      ...imageControllers(session, served, deps),
      ...(cachesKind(session, RECEIVER) ? [receiverController({ session, events: deps.events })] : []),
    ];
    const manager = new ControllerManager({
      cluster: session.context,
      controllers: controllers.map((c) => ({ shouldReconcile: fluxPredicate, ...c })),
      caches: (t) => session.cache(t),
      bus: deps.bus,
      logger: session.logger,
      writes: (listener) => session.client.onWrite(listener),
      ...(deps.loopGate && { gate: deps.loopGate }),
    });
    this.manager = manager;
    this.shared.managers.set(session.context, manager);
    manager.start();
    if (served.has('HelmRelease') && deps.kubeAccess) {
      const releases = (): HelmRelease[] => session.cache(fluxKinds.HelmRelease).list() as HelmRelease[];
      this.stopValuesWatch = watchValuesSources(session.client, releases, (t, ref) => manager.enqueue(t, ref));
    }
    if (deps.isPaused()) manager.pause(true);
    session.setStatus({
      role: deps.isPaused() ? 'paused' : 'reconciling',
      message: undefined,
      reconciler: 'desktop',
      reconcilerVersion: undefined,
    });
  }

  /** The Helm controllers, where the cluster serves their kinds and the app has a Helm helper. */
  private helmControllers(served: Set<string>): Controller[] {
    const { session, deps } = this;
    const { helm, kubeAccess, store, events } = deps;
    return [
      ...(served.has('HelmRepository') ? [helmRepositoryController({ session, store, events })] : []),
      ...(served.has('HelmChart') ? [helmChartController({ session, store, events, helm })] : []),
      // Releases need the user's kubeconfig for the helper; a session without one (tests) leaves them alone.
      ...(served.has('HelmRelease') && kubeAccess
        ? [helmReleaseController({ session, store, events, helm, kubeAccess: () => kubeAccess(session.context) })]
        : []),
    ];
  }

  private follow(message: string): void {
    this.session.setStatus({ role: 'standby', message });
    this.stopManager().catch((err: unknown) =>
      this.session.logger.warn('stopping controllers failed', { error: errorMessage(err) }),
    );
  }

  private async stopManager(): Promise<void> {
    const m = this.manager;
    this.manager = undefined;
    this.stopValuesWatch?.();
    this.stopValuesWatch = undefined;
    if (!m) return;
    this.shared.managers.delete(this.session.context);
    await m.stop();
    this.remotes.close();
    this.remotes = new RemoteClients();
  }
}

/** Every Lease in the cluster: Flux's controllers keep theirs in their own namespace, which can be any. */
async function listLeases(client: ClusterSession['client'], signal: AbortSignal): Promise<LeaseLike[]> {
  try {
    const list = await client.list({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, { signal });
    return list.items;
  } catch (err) {
    throw new Error(
      "could not list Leases in all namespaces: Fluxdeck reads Flux's leader-election Leases to know whether Flux's " +
        'controllers run in this cluster, and needs permission to list coordination.k8s.io Leases cluster-wide',
      { cause: err },
    );
  }
}

/** Flux's version from its controllers' Deployments (image tag), when they are there and readable. */
async function fluxVersionOf(session: ClusterSession, signal: AbortSignal): Promise<string | undefined> {
  try {
    const detection = await detectFluxControllers(session.client, { signal });
    const core = detection.deployments.find((d) => d.controller !== 'notification-controller' && d.version);
    return core?.version;
  } catch {
    return undefined;
  }
}
