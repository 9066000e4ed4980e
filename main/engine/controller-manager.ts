import { errorMessage } from '../util/errors.ts';
import type { KubeObject, ObjectRef } from '../util/kube-object.ts';
import type { Logger } from '../util/logger.ts';
import type { EventSink } from './event-bus.ts';
import { withJitter, WorkQueue, type WorkQueueOptions } from './work-queue.ts';
import { WrittenVersions } from './written-versions.ts';

/**
 * The controller manager of one cluster: it turns cache events into work-queue keys and runs each controller's
 * reconcile function for them. It knows nothing about Flux kinds; controllers plug in (ARCHITECTURE.md: the engine
 * never imports the controllers).
 */

export interface ResourceType {
  apiVersion: string;
  kind: string;
}

export interface CacheEvent {
  type: 'added' | 'modified' | 'deleted';
  object: KubeObject;
  /** The previous version for `modified`, when the cache had one. */
  old?: KubeObject;
}

/** What the manager needs from a watch cache (main/kube's caches are adapted to this). */
export interface ObjectCache {
  get(namespace: string, name: string): KubeObject | undefined;
  list(): KubeObject[];
  subscribe(listener: (event: CacheEvent) => void): () => void;
}

/** Gives the cache of a resource type (created on first use and owned by the cluster session). */
export type CacheProvider = (type: ResourceType) => ObjectCache;

export interface ReconcileOutcome {
  /** Reconcile again after this delay (the object's interval, or a retry interval after a handled failure). */
  requeueAfterMs?: number;
  /** A failure the controller recorded on the object (Ready=False); it is retried after `requeueAfterMs`. */
  failure?: string;
  /** An unexpected failure: the queue retries with exponential backoff. */
  error?: unknown;
}

export interface ReconcileRequest {
  cluster: string;
  key: string;
  signal: AbortSignal;
  caches: CacheProvider;
  /** Queue another object (same cluster) now, e.g. dependents of an object that became ready. */
  enqueue(type: ResourceType, ref: Pick<ObjectRef, 'namespace' | 'name'>): void;
}

export interface Watch {
  type: ResourceType;
  /** Objects of the controller's own kind to reconcile when an object of `type` changes. */
  map(event: CacheEvent, caches: CacheProvider): Pick<ObjectRef, 'namespace' | 'name'>[];
}

export interface Controller {
  type: ResourceType;
  /** Concurrent reconciles of this kind in this cluster. */
  concurrency?: number;
  reconcile(object: KubeObject, request: ReconcileRequest): Promise<ReconcileOutcome>;
  /** Other kinds whose changes requeue objects of this kind (sources, dependencies). */
  watches?: Watch[];
  /** Whether a change of the object itself needs a reconcile; defaults to {@link needsReconcile} without a request annotation. */
  shouldReconcile?: (event: CacheEvent) => boolean;
}

/**
 * The default predicate (controller-runtime's, as Flux uses them): a new object, a new generation (spec change), a
 * deletion in progress, or a changed value of the request annotation when the controller has one (Flux's
 * `reconcile.fluxcd.io/requestedAt`: the engine does not know Flux, so the controllers name it). Status-only updates
 * (which the controllers write themselves) do not trigger a reconcile.
 */
export function needsReconcile(event: CacheEvent, requestAnnotation?: string): boolean {
  if (event.type === 'added') return true;
  if (event.type === 'deleted') return false;
  const { object, old } = event;
  if (!old) return true;
  if (object.metadata.generation !== old.metadata.generation) return true;
  if (object.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) return true;
  if (requestAnnotation === undefined) return false;
  const now = object.metadata.annotations?.[requestAnnotation];
  return now !== undefined && now !== old.metadata.annotations?.[requestAnnotation];
}

/** The API group of an apiVersion ('' for the core group's `v1`). */
const groupOf = (apiVersion: string): string => apiVersion.slice(0, Math.max(0, apiVersion.indexOf('/')));

/** `cluster/kind/namespace/name`: the work-queue key (ARCHITECTURE.md rule 6). */
export function objectKey(cluster: string, kind: string, namespace: string, name: string): string {
  return `${cluster}/${kind}/${namespace}/${name}`;
}

export function parseObjectKey(key: string): { cluster: string; kind: string; namespace: string; name: string } {
  const [cluster = '', kind = '', namespace = '', name = ''] = key.split('/');
  return { cluster, kind, namespace, name };
}

/** Events the manager publishes on the engine bus. */
export interface ManagerEvents {
  'reconcile.started': { cluster: string; kind: string; namespace: string; name: string };
  'reconcile.finished': {
    cluster: string;
    kind: string;
    namespace: string;
    name: string;
    durationMs: number;
    error?: string;
    /** Ready=False recorded on the object (e.g. a build error), as opposed to an unexpected `error`. */
    failure?: string;
    requeueAfterMs?: number;
  };
}

export interface ControllerManagerOptions {
  cluster: string;
  controllers: Controller[];
  caches: CacheProvider;
  bus: EventSink<ManagerEvents>;
  logger: Logger;
  backoff?: { baseMs: number; maxMs: number };
  /** Spread of requeue delays (± this fraction), so objects with one interval do not all run at once. */
  jitter?: number;
  /** Engine-wide back-pressure: no reconcile starts while the main event loop is behind. */
  gate?: WorkQueueOptions['gate'];
  /**
   * Subscribes to the objects the cluster's client writes; with it, a reconcile waits for its cache to reach the
   * last write made to its object (written-versions.ts says why).
   */
  writes?: (listener: (written: KubeObject) => void) => () => void;
  /** How long a reconcile waits for the cache to catch up with a write before it goes on with what it has. */
  catchUpMs?: number;
}

/**
 * A watch event comes milliseconds after the write it reports, seconds on a starved machine; a cache behind for
 * longer has lost its watch (it relists), and waiting more would only hold a worker.
 */
const CATCH_UP_MS = 5_000;

export class ControllerManager {
  private readonly queue: WorkQueue;
  private readonly byKind = new Map<string, Controller>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly opts: ControllerManagerOptions;
  private readonly written = new WrittenVersions();
  private started = false;

  constructor(opts: ControllerManagerOptions) {
    this.opts = opts;
    const concurrency: { default: number; [kind: string]: number } = { default: 4 };
    for (const c of opts.controllers) {
      this.byKind.set(c.type.kind, c);
      concurrency[c.type.kind] = c.concurrency ?? 4;
    }
    this.queue = new WorkQueue({
      concurrency,
      backoff: opts.backoff ?? { baseMs: 2000, maxMs: 5 * 60_000 },
      onError: (key, error, retryInMs) =>
        opts.logger.warn('reconcile failed', { key, error: errorMessage(error), retryInMs }),
      ...(opts.gate && { gate: opts.gate }),
    });
  }

  /** Subscribes to the caches, queues every existing object once (as a controller restart does) and starts. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { caches, cluster } = this.opts;
    if (this.opts.writes) this.unsubscribe.push(this.opts.writes((o) => this.noteWrite(o)));
    for (const c of this.opts.controllers) {
      const own = caches(c.type);
      const should = c.shouldReconcile ?? ((e: CacheEvent) => needsReconcile(e));
      this.unsubscribe.push(
        own.subscribe((event) => {
          const key = objectKey(
            cluster,
            c.type.kind,
            event.object.metadata.namespace ?? '',
            event.object.metadata.name ?? '',
          );
          if (event.type === 'deleted') {
            this.queue.remove(key);
            this.written.forget(c.type.kind, event.object.metadata.namespace ?? '', event.object.metadata.name ?? '');
          } else if (should(event)) this.queue.add(key);
        }),
      );
      for (const w of c.watches ?? []) {
        this.unsubscribe.push(
          caches(w.type).subscribe((event) => {
            for (const ref of w.map(event, caches))
              this.queue.add(objectKey(cluster, c.type.kind, ref.namespace, ref.name));
          }),
        );
      }
      for (const obj of own.list())
        this.queue.add(objectKey(cluster, c.type.kind, obj.metadata.namespace ?? '', obj.metadata.name ?? ''));
    }
    this.queue.start((key, signal) => this.run(key, signal));
  }

  /** Queues one object now (a user's reconcile request from the UI goes through the annotation instead). */
  enqueue(type: ResourceType, ref: Pick<ObjectRef, 'namespace' | 'name'>): void {
    this.queue.add(objectKey(this.opts.cluster, type.kind, ref.namespace, ref.name));
  }

  /** Stops: unsubscribes, aborts in-flight reconciles and waits for them to end. */
  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.queue.stop();
  }

  pause(paused: boolean): void {
    this.queue.pause(paused);
  }

  stats(): ReturnType<WorkQueue['stats']> {
    return this.queue.stats();
  }

  /** Resolves when no reconcile is waiting or running (tests and benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async run(key: string, signal: AbortSignal): Promise<ReconcileOutcome> {
    const { cluster, kind, namespace, name } = parseObjectKey(key);
    const controller = this.byKind.get(kind);
    if (!controller) return {};
    const object = await this.caughtUp(controller.type, namespace, name, signal);
    if (!object) return {};
    const started = performance.now();
    this.opts.bus.emit('reconcile.started', { cluster, kind, namespace, name });
    let outcome: ReconcileOutcome;
    try {
      outcome = await controller.reconcile(object, {
        cluster,
        key,
        signal,
        caches: this.opts.caches,
        enqueue: (type, ref) => this.enqueue(type, ref),
      });
    } catch (error) {
      outcome = { error };
    }
    const error = outcome.error === undefined ? undefined : errorMessage(outcome.error);
    this.opts.bus.emit('reconcile.finished', {
      cluster,
      kind,
      namespace,
      name,
      durationMs: Math.round(performance.now() - started),
      ...(error !== undefined ? { error } : {}),
      ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
      ...(outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : {}),
    });
    return outcome.requeueAfterMs === undefined
      ? outcome
      : { ...outcome, requeueAfterMs: withJitter(outcome.requeueAfterMs, this.opts.jitter ?? 0.05) };
  }

  /** Remembers a write to an object of a reconciled kind (matched by group and kind: any served version). */
  private noteWrite(o: KubeObject): void {
    const { namespace = '', name, resourceVersion } = o.metadata;
    const controller = this.byKind.get(o.kind);
    if (!controller || !name || !resourceVersion || groupOf(controller.type.apiVersion) !== groupOf(o.apiVersion))
      return;
    this.written.note(o.kind, namespace, name, resourceVersion);
  }

  /** The cached object, once the cache has seen the last write made to it (written-versions.ts says why). */
  private async caughtUp(
    type: ResourceType,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<KubeObject | undefined> {
    const cache = this.opts.caches(type);
    const object = cache.get(namespace, name);
    const behind = (o: KubeObject): boolean =>
      this.written.ahead(type.kind, namespace, name, o.metadata.resourceVersion) !== undefined;
    if (!object || !behind(object)) return object;
    // Stopped while it waited its turn (the cluster disconnected, the manager stopped): nothing to reconcile.
    if (signal.aborted) return undefined;
    const ended = await new Promise<'reached' | 'timeout' | 'aborted'>((resolve) => {
      const done = (how: 'reached' | 'timeout' | 'aborted'): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', aborted);
        resolve(how);
      };
      const aborted = (): void => done('aborted');
      const timer = setTimeout(() => done('timeout'), this.opts.catchUpMs ?? CATCH_UP_MS);
      const unsubscribe = cache.subscribe((e) => {
        const m = e.object.metadata;
        if ((m.namespace ?? '') !== namespace || m.name !== name) return;
        if (e.type === 'deleted' || !behind(e.object)) done('reached');
      });
      signal.addEventListener('abort', aborted);
    });
    if (ended === 'aborted') return undefined;
    if (ended === 'timeout') {
      this.written.forget(type.kind, namespace, name);
      this.opts.logger.warn('the cache did not catch up with a write; reconciling what it has', {
        cluster: this.opts.cluster,
        kind: type.kind,
        namespace,
        name,
      });
    }
    return cache.get(namespace, name);
  }
}
