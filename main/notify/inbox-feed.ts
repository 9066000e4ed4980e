import { setTimeout as sleep } from 'node:timers/promises';

import type { ResourceType } from '../engine/controller-manager.ts';
import type { AuthHealth } from '../kube/auth-health.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import {
  alertFromReconcileError,
  alertsFromFluxEvent,
  authAlert,
  DEFAULT_RULE_SETTINGS,
  type FluxEvent,
  type ReconcileFinished,
  type RuleSettings,
  staleSourceAlerts,
  suspendedAlerts,
  suspendedSince,
} from './alert-rules.ts';
import type { Inbox } from './inbox-types.ts';

/**
 * Feeds the inbox from the engine: every Flux event and reconcile error as it happens, auth health as it changes,
 * and the time-based rules (suspended too long, source stale) on a timer, from the sessions' watch caches.
 */

/** The engine bus, narrowed to what the feed reads (an `EventBus<FluxdeckEvents>` fits). */
export interface FeedEvents {
  on(type: 'flux.event', listener: (e: FluxEvent) => void): () => void;
  on(type: 'reconcile.finished', listener: (e: ReconcileFinished) => void): () => void;
}

interface FeedCache {
  list(): KubeObject[];
  synced(): Promise<void>;
}

/** A connected cluster, narrowed (main/engine's ClusterSession fits). */
export interface FeedSession {
  readonly context: string;
  readonly client: Pick<ClusterClient, 'tryGet'>;
  cache(type: ResourceType): FeedCache;
  cachedTypes(): ResourceType[];
}

/** The cluster registry, narrowed (main/engine's ClusterRegistry fits). */
export interface FeedClusters {
  connected(): FeedSession[];
  contexts(): { name: string; authHealth?: AuthHealth }[];
  onChange(listener: () => void): () => void;
}

export interface InboxFeedOptions {
  inbox: Inbox;
  events: FeedEvents;
  clusters: FeedClusters;
  /** Kinds checked for "source stale" (GitRepository, ...) and for "suspended" (every Flux kind watched). */
  kinds: { sources: readonly ResourceType[]; suspendable: readonly ResourceType[] };
  settings?: Partial<RuleSettings>;
  /** How often the time-based rules run (default 60 s). */
  evaluateEveryMs?: number;
  /** How long one evaluation waits for a cache's first list before skipping the cluster this round (default 5 s). */
  syncWaitMs?: number;
  now?: () => number;
  logger?: Logger;
}

export interface InboxFeed {
  /** Runs the time-based rules now (the timer does it every `evaluateEveryMs`). */
  evaluate(): Promise<void>;
  stop(): void;
}

/**
 * The objects of `types` in a session's caches, once synced. Only what the session already watches: creating a
 * watch here for a kind the cluster does not serve would make the session look unreachable.
 */
async function listSynced(session: FeedSession, types: readonly ResourceType[], waitMs: number): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const type of types) {
    // A kind the cluster does not serve (an older Flux without OCIRepository v1, say) has nothing to evaluate.
    if (!session.cachedTypes().some((t) => t.apiVersion === type.apiVersion && t.kind === type.kind)) continue;
    const cache = session.cache(type);
    const waiting = new AbortController();
    const ready = await Promise.race([
      cache.synced().then(() => true),
      sleep(waitMs, false, { ref: false, signal: waiting.signal }).catch(() => false),
    ]);
    waiting.abort();
    // An unsynced cache lists nothing: evaluating it would resolve every open condition and raise them again.
    if (!ready) throw new Error(`${type.kind} cache of ${session.context} has not synced yet`);
    out.push(...cache.list());
  }
  return out;
}

export function startInboxFeed(opts: InboxFeedOptions): InboxFeed {
  const { inbox, clusters } = opts;
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const settings = { ...DEFAULT_RULE_SETTINGS, ...opts.settings };
  const syncWaitMs = opts.syncWaitMs ?? 5000;
  const guard = (what: string, fn: () => void) => (): void => {
    try {
      fn();
    } catch (err) {
      logger.warn(`inbox: ${what} failed`, { error: errorMessage(err) });
    }
  };
  // When each suspended object was suspended, by uid: read once from its managedFields, else the first sighting.
  const suspensions = new Map<string, number>();
  const lookups = new Set<string>();

  const syncAuth = guard('auth health', () => {
    for (const ctx of clusters.contexts()) {
      if (!ctx.authHealth) continue;
      const alert = authAlert(ctx.name, ctx.authHealth);
      inbox.syncConditions('cluster-auth', ctx.name, alert ? [alert] : []);
    }
  });

  const lookUpSuspension = (session: FeedSession, obj: KubeObject, uid: string): void => {
    if (lookups.has(uid)) return;
    lookups.add(uid);
    const key = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name ?? '',
    };
    session.client
      .tryGet(key)
      .then((full) => {
        const at = full ? suspendedSince(full) : undefined;
        if (at !== undefined && at < (suspensions.get(uid) ?? Infinity)) suspensions.set(uid, at);
      })
      .catch((err: unknown) =>
        logger.debug('inbox: cannot read when an object was suspended', { error: errorMessage(err) }),
      )
      .finally(() => lookups.delete(uid));
  };

  /** Runs the time-based rules for one cluster; returns the uids of the objects suspended there. */
  const evaluateSession = async (session: FeedSession): Promise<string[]> => {
    const t = now();
    const suspendable = await listSynced(session, opts.kinds.suspendable, syncWaitMs);
    const sources = await listSynced(session, opts.kinds.sources, syncWaitMs);
    const suspended: string[] = [];
    for (const obj of suspendable) {
      const uid = obj.metadata.uid;
      if (!uid || !(obj.spec as { suspend?: boolean } | undefined)?.suspend) continue;
      suspended.push(uid);
      if (!suspensions.has(uid)) {
        suspensions.set(uid, t);
        lookUpSuspension(session, obj, uid);
      }
    }
    const since = (obj: KubeObject): number | undefined => suspensions.get(obj.metadata.uid ?? '');
    inbox.syncConditions(
      'suspended',
      session.context,
      suspendedAlerts(session.context, suspendable, since, { now: t, settings }),
    );
    inbox.syncConditions(
      'source-stale',
      session.context,
      staleSourceAlerts(session.context, sources, { now: t, settings }),
    );
    return suspended;
  };

  const evaluate = async (): Promise<void> => {
    syncAuth();
    const stillSuspended = new Set<string>();
    let complete = true;
    for (const session of clusters.connected()) {
      try {
        for (const uid of await evaluateSession(session)) stillSuspended.add(uid);
      } catch (err) {
        complete = false;
        logger.debug('inbox: cluster skipped this round', { cluster: session.context, error: errorMessage(err) });
      }
    }
    // A resumed object starts afresh when suspended again (only forgotten when every cluster was seen).
    if (complete) for (const uid of suspensions.keys()) if (!stillSuspended.has(uid)) suspensions.delete(uid);
  };

  const offs = [
    opts.events.on('flux.event', (e) =>
      guard('recording an event', () => {
        for (const alert of alertsFromFluxEvent(e)) inbox.record(alert);
      })(),
    ),
    opts.events.on('reconcile.finished', (e) =>
      guard('recording a reconcile error', () => {
        const alert = alertFromReconcileError(e);
        if (alert) inbox.record(alert);
      })(),
    ),
    clusters.onChange(syncAuth),
  ];
  let running: Promise<void> | undefined;
  const tick = (): void => {
    running ??= evaluate()
      .catch((err: unknown) => logger.warn('inbox: rule evaluation failed', { error: errorMessage(err) }))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, opts.evaluateEveryMs ?? 60_000);
  timer.unref();
  return {
    evaluate: async () => {
      await running;
      await evaluate();
    },
    stop: () => {
      clearInterval(timer);
      for (const off of offs) off();
    },
  };
}
