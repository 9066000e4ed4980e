import { setTimeout as sleep } from 'node:timers/promises';

import type { KubeObject } from '../util/kube-object.ts';
import type { ClusterClient } from './cluster-client.ts';
import { isKubeError } from './kube-error.ts';
import type { WatchEvent } from './watch-stream.ts';

/**
 * An informer that survives what @kubernetes/client-node's does not (test-control-plane.md §8.1): list, then watch
 * from the list's resourceVersion; relist on 410 Gone; restart a watch that has gone silent (no event and no bookmark
 * for `stallMs`, e.g. a dead connection after a laptop sleep); relist every `resyncMs` (with jitter) in case anything
 * was missed; retry with bounded exponential backoff; stop on abort. A relist only reports what actually changed (by
 * resourceVersion), never "every object updated". Objects are stored without managedFields.
 *
 * One cache per kind per cluster: a single watch connection, a Map of objects, a few timers.
 */
export interface CacheEvent {
  type: 'added' | 'modified' | 'deleted';
  object: KubeObject;
  /** The previous version, for `modified`. */
  old?: KubeObject;
}

export type CacheState = 'starting' | 'synced' | 'unreachable' | 'closed';

export interface CacheStatus {
  state: CacheState;
  /** Set while unreachable: the last error, with the transport's hint. */
  error?: { message: string; reason?: string; hint?: string };
  /** ISO time of the change. */
  since: string;
}

export interface WatchCacheOptions {
  apiVersion: string;
  kind: string;
  /** Watch one namespace; all namespaces when omitted (for namespaced kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Relist about this often (±20% jitter) even when the watch looks healthy. Default 10 minutes. */
  resyncMs?: number;
  /** Restart a watch that delivered nothing, not even a bookmark, for this long. Default 3 minutes. */
  stallMs?: number;
  /** Backoff after failures: starts at `initialMs`, doubles, capped at `maxMs` (with jitter). */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Keep only each object's identity (namespace, name, uid, resourceVersion), listed and watched as metadata: a
   * presence index of a kind at a few dozen bytes per object.
   */
  metadataOnly?: boolean;
  /** Server-side watch timeout per request; the apiserver ends the watch after it and we resume. Default 5–10 min. */
  watchTimeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchCacheStats {
  lists: number;
  watches: number;
  events: number;
  /** Watches restarted because they went silent. */
  stalls: number;
  /** Relists because the resourceVersion was too old (410 Gone). */
  gone: number;
}

export interface WatchCache {
  get(namespace: string, name: string): KubeObject | undefined;
  list(namespace?: string): KubeObject[];
  /** Called for every change from now on (initial objects arrive as `added`); use `list()` for what is there already. */
  subscribe(listener: (event: CacheEvent) => void): () => void;
  onStatus(listener: (status: CacheStatus) => void): () => void;
  readonly status: CacheStatus;
  readonly synced: boolean;
  /** Resolves once the first list has completed (rejects if the cache is closed first). */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** The resourceVersion the cache is current at. */
  readonly resourceVersion: string;
  readonly stats: WatchCacheStats;
  close(): void;
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** Drops what a cache never needs and what costs the most memory: managedFields. */
function strip(o: KubeObject): KubeObject {
  if (!o.metadata.managedFields) return o;
  const { managedFields: _m, ...metadata } = o.metadata;
  return { ...o, metadata };
}

/** What a metadata-only cache keeps: enough to say an object exists, and at which version. */
function identity(o: KubeObject, type: { apiVersion: string; kind: string }): KubeObject {
  const { namespace, name, uid, resourceVersion } = o.metadata;
  return {
    // Metadata arrives as meta.k8s.io/v1 PartialObjectMetadata: name the kind it describes.
    apiVersion: type.apiVersion,
    kind: type.kind,
    metadata: { ...(namespace ? { namespace } : {}), name, uid, resourceVersion },
  };
}

const jitter = (ms: number, spread = 0.2): number => ms * (1 - spread + Math.random() * 2 * spread);

export function createWatchCache(client: ClusterClient, opts: WatchCacheOptions): WatchCache {
  const type = { apiVersion: opts.apiVersion, kind: opts.kind };
  const keep = opts.metadataOnly ? (o: KubeObject): KubeObject => identity(o, type) : strip;
  const metadataOnly = opts.metadataOnly ? { metadataOnly: true } : {};
  const objects = new Map<string, KubeObject>();
  const listeners = new Set<(e: CacheEvent) => void>();
  const statusListeners = new Set<(s: CacheStatus) => void>();
  const stats: WatchCacheStats = { lists: 0, watches: 0, events: 0, stalls: 0, gone: 0 };
  const closer = new AbortController();
  const signal = AbortSignal.any([closer.signal, client.signal, ...(opts.signal ? [opts.signal] : [])]);
  const stallMs = opts.stallMs ?? 3 * 60_000;
  const resyncMs = opts.resyncMs ?? 10 * 60_000;
  const initialBackoff = opts.backoff?.initialMs ?? 500;
  const maxBackoff = opts.backoff?.maxMs ?? 30_000;
  let resourceVersion = '';
  let synced = false;
  let status: CacheStatus = { state: 'starting', since: new Date().toISOString() };
  let resolveSync: (() => void) | undefined;
  let rejectSync: ((e: unknown) => void) | undefined;
  const syncPromise = new Promise<void>((res, rej) => {
    resolveSync = res;
    rejectSync = rej;
  });
  syncPromise.catch(() => undefined);

  const emit = (e: CacheEvent): void => {
    stats.events++;
    for (const l of listeners) l(e);
  };
  const setStatus = (state: CacheState, err?: unknown): void => {
    const e = err as { message?: string; reason?: string; hint?: string } | undefined;
    if (status.state === state && status.error?.message === e?.message) return;
    status = {
      state,
      since: new Date().toISOString(),
      ...(e ? { error: { message: e.message ?? String(err), reason: e.reason, hint: e.hint } } : {}),
    };
    for (const l of statusListeners) l(status);
  };

  /** Replaces the contents with a fresh list, emitting only real differences. */
  const relist = async (): Promise<void> => {
    stats.lists++;
    const list = await client.list(type, {
      namespace: opts.namespace,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      ...metadataOnly,
      signal,
    });
    const seen = new Set<string>();
    for (const raw of list.items) {
      const obj = keep(raw);
      const k = keyOf(obj);
      seen.add(k);
      const old = objects.get(k);
      objects.set(k, obj);
      if (!old) emit({ type: 'added', object: obj });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
        emit({ type: 'modified', object: obj, old });
    }
    for (const [k, old] of objects)
      if (!seen.has(k)) {
        objects.delete(k);
        emit({ type: 'deleted', object: old });
      }
    resourceVersion = list.metadata.resourceVersion;
    if (!synced) {
      synced = true;
      resolveSync?.();
    }
    setStatus('synced');
  };

  const apply = (e: WatchEvent): void => {
    if (e.type === 'BOOKMARK') {
      resourceVersion = e.object.metadata.resourceVersion ?? resourceVersion;
      return;
    }
    const obj = keep(e.object);
    resourceVersion = obj.metadata.resourceVersion ?? resourceVersion;
    const k = keyOf(obj);
    const old = objects.get(k);
    if (e.type === 'DELETED') {
      objects.delete(k);
      emit({ type: 'deleted', object: obj });
      return;
    }
    objects.set(k, obj);
    emit(old ? { type: 'modified', object: obj, old } : { type: 'added', object: obj });
  };

  /** One watch request. Resolves 'gone' (relist needed), 'ended' (resume from resourceVersion) or 'resync'. */
  const watchOnce = async (resyncAt: number): Promise<'gone' | 'ended' | 'resync'> => {
    stats.watches++;
    const attempt = new AbortController();
    // Set by the timers below; an object so the reads after `await` are not narrowed away by the compiler.
    const stop: { why?: 'stall' | 'resync' } = {};
    let stallTimer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stop.why = 'stall';
        attempt.abort();
      }, stallMs);
    };
    const resyncTimer = setTimeout(
      () => {
        stop.why = 'resync';
        attempt.abort();
      },
      Math.max(0, resyncAt - Date.now()),
    );
    arm();
    try {
      await client.watch(
        type,
        {
          namespace: opts.namespace,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          resourceVersion,
          ...metadataOnly,
          timeoutSeconds: opts.watchTimeoutSeconds ?? Math.round(300 + Math.random() * 300),
          signal: AbortSignal.any([signal, attempt.signal]),
        },
        (e) => {
          arm();
          // Connected and delivering: whatever was unreachable before is back.
          if (status.state === 'unreachable') setStatus('synced');
          apply(e);
        },
      );
      return 'ended';
    } catch (err) {
      if (isKubeError(err, 'Gone')) return 'gone';
      if (signal.aborted) throw err;
      if (stop.why === 'resync') return 'resync';
      if (stop.why === 'stall') {
        stats.stalls++;
        return 'ended';
      }
      throw err;
    } finally {
      clearTimeout(stallTimer);
      clearTimeout(resyncTimer);
    }
  };

  const closed = (): boolean => signal.aborted;
  const run = async (): Promise<void> => {
    let backoff = initialBackoff;
    let needList = true;
    let resyncAt = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await relist();
          needList = false;
          resyncAt = Date.now() + jitter(resyncMs);
        }
        if (closed()) break; // closed by a listener of the sync (or right after it)
        const started = Date.now();
        const outcome = await watchOnce(resyncAt);
        if (outcome === 'gone') stats.gone++;
        if (outcome !== 'ended') needList = true;
        if (outcome === 'ended' && Date.now() - started < 1000) {
          // A watch that ends at once over and over (a proxy closing it) must not spin.
          await sleep(jitter(backoff), undefined, { signal });
          backoff = Math.min(backoff * 2, maxBackoff);
        } else backoff = initialBackoff;
      } catch (err) {
        if (closed()) break;
        // Unreachable, 5xx, 403 after an RBAC change...: report it, wait, and try again from where we were.
        setStatus('unreachable', err);
        if (isKubeError(err, 'UnknownKind')) needList = true;
        await sleep(jitter(backoff), undefined, { signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
    setStatus('closed');
    rejectSync?.(new Error(`watch cache for ${opts.kind} closed before it synced`));
  };

  run().catch(() => undefined); // run() handles its own errors; this only keeps a bug from going unhandled

  return {
    get: (namespace, name) => objects.get(`${namespace}/${name}`),
    list: (namespace) => {
      const all = [...objects.values()];
      return namespace === undefined ? all : all.filter((o) => (o.metadata.namespace ?? '') === namespace);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onStatus: (listener) => {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    get status() {
      return status;
    },
    get synced() {
      return synced;
    },
    waitForSync: (s) =>
      s
        ? Promise.race([
            syncPromise,
            new Promise<void>((_, rej) => {
              s.addEventListener('abort', () => rej(s.reason as Error), { once: true });
            }),
          ])
        : syncPromise,
    get resourceVersion() {
      return resourceVersion;
    },
    stats,
    close: () => closer.abort(),
  };
}
