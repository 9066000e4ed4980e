import type { ClusterClient } from '../kube/cluster-client.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import type { CacheEvent, ObjectCache, ResourceType } from './controller-manager.ts';
import { DisposableStore } from './disposables.ts';

/**
 * One connected kubeconfig context: its client, its watch caches (one per resource type, created on first use) and
 * everything that runs against it (controllers, lease, observe-mode checks), all owned by one disposable store so
 * disconnecting stops every piece of work and every socket (ARCHITECTURE.md rule 7).
 */

/** A watch cache as the session runs it: an ObjectCache that can be started, awaited and stopped. */
export interface SessionCache extends ObjectCache {
  /** Resolves after the first full list (the cache then holds the cluster's state). */
  synced(): Promise<void>;
  stop(): void;
}

export type CacheFactory = (client: ClusterClient, type: ResourceType, hooks: CacheHooks) => SessionCache;

/** What a cache reports about the connection, so the session can say "unreachable" and "recovered". */
export interface CacheHooks {
  onUnreachable(error: unknown): void;
  onRecovered(): void;
}

export type SessionState = 'connecting' | 'connected' | 'unreachable' | 'disconnected';

export interface SessionStatus {
  context: string;
  state: SessionState;
  /** What the session does in this cluster: set by the plugins (e.g. `reconciling`, `observing`, `standby`). */
  role?: string;
  message?: string;
  /** Which engine reconciles this cluster, as the plugins name it (e.g. `desktop`, `flux`, `none`, `both`). */
  reconciler?: string;
  /** That engine's version, when known. */
  reconcilerVersion?: string;
  since: string;
}

export class ClusterSession {
  readonly context: string;
  readonly client: ClusterClient;
  readonly disposables = new DisposableStore();
  readonly logger: Logger;
  private readonly caches = new Map<string, SessionCache>();
  private readonly createCache: CacheFactory;
  private statusValue: SessionStatus;
  private readonly statusListeners = new Set<(s: SessionStatus) => void>();
  private readonly unreachableCaches = new Set<string>();
  private probing = false;

  constructor(context: string, client: ClusterClient, createCache: CacheFactory, logger: Logger) {
    this.context = context;
    this.client = client;
    this.createCache = createCache;
    this.logger = logger;
    this.statusValue = { context, state: 'connecting', since: new Date().toISOString() };
    this.disposables.add(() => {
      for (const c of this.caches.values()) c.stop();
      this.caches.clear();
      this.client.close();
      this.setStatus({ state: 'disconnected' });
    });
  }

  get status(): SessionStatus {
    return this.statusValue;
  }

  onStatus(listener: (s: SessionStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  setStatus(patch: Partial<Omit<SessionStatus, 'context' | 'since'>>): void {
    const next = { ...this.statusValue, ...patch };
    if (
      next.state === this.statusValue.state &&
      next.role === this.statusValue.role &&
      next.message === this.statusValue.message &&
      next.reconciler === this.statusValue.reconciler &&
      next.reconcilerVersion === this.statusValue.reconcilerVersion
    )
      return;
    this.statusValue = {
      ...next,
      since: next.state !== this.statusValue.state ? new Date().toISOString() : this.statusValue.since,
    };
    for (const l of this.statusListeners) l(this.statusValue);
  }

  /** The watch cache of a resource type, started on first use and shared by every user in this session. */
  cache(type: ResourceType): SessionCache {
    const key = `${type.apiVersion}/${type.kind}`;
    let cache = this.caches.get(key);
    if (!cache) {
      if (this.disposables.isDisposed) throw new Error(`cluster ${this.context} is disconnected`);
      cache = this.createCache(this.client, type, {
        onUnreachable: (error) => {
          this.unreachableCaches.add(key);
          this.setStatus({ state: 'unreachable', message: errorMessage(error) });
          this.probeUntilReachable();
        },
        onRecovered: () => {
          this.unreachableCaches.delete(key);
          if (this.unreachableCaches.size === 0 && this.statusValue.state === 'unreachable')
            this.setStatus({ state: 'connected', message: undefined });
        },
      });
      this.caches.set(key, cache);
    }
    return cache;
  }

  /**
   * While unreachable, asks the apiserver every few seconds whether it is back. A resumed watch may stay silent for a
   * minute (until its next bookmark), so the caches alone would report the recovery late.
   */
  private probeUntilReachable(): void {
    if (this.probing) return;
    this.probing = true;
    const probe = async (): Promise<void> => {
      let delay = 1000;
      while (this.statusValue.state === 'unreachable' && !this.disposables.isDisposed) {
        await new Promise((r) => setTimeout(r, delay).unref());
        const ok = await this.client.transport
          .request({ method: 'GET', path: '/readyz', signal: AbortSignal.timeout(5000) })
          .then((res) => res.status < 400)
          .catch(() => false);
        // The state may have changed while the request was in flight (TypeScript cannot see that).
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (ok && this.statusValue.state === 'unreachable') {
          this.unreachableCaches.clear();
          this.setStatus({ state: 'connected', message: undefined });
        }
        delay = Math.min(delay * 2, 10_000);
      }
    };
    probe()
      .catch((err: unknown) => this.logger.warn('reachability probe failed', { error: errorMessage(err) }))
      .finally(() => (this.probing = false));
  }

  /** Caches created so far (the api layer snapshots them). */
  cachedTypes(): ResourceType[] {
    return [...this.caches.keys()].map((k) => {
      const i = k.lastIndexOf('/');
      return { apiVersion: k.slice(0, i), kind: k.slice(i + 1) };
    });
  }

  /** Subscribes to every change of a type; the listener gets the current objects first, as `added` events. */
  watch(type: ResourceType, listener: (e: CacheEvent) => void): () => void {
    const cache = this.cache(type);
    for (const object of cache.list()) listener({ type: 'added', object });
    return cache.subscribe(listener);
  }

  async close(): Promise<void> {
    await this.disposables.dispose();
  }
}
