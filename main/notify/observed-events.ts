/**
 * Observe mode: where in-cluster Flux reconciles, its controllers' Kubernetes Events are the event stream. This
 * turns them into FluxEvents on the bus (so the inbox, the tray and Alerts see them as they see our controllers'),
 * for every session whose role is `observing`, from a watch on core/v1 Events started after a list (history is not
 * replayed) and restarted when it ends.
 */
import type { FluxEvent } from '../flux/events.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { Logger } from '../util/logger.ts';
import { apiGroup } from './notification-event.ts';

/** A core/v1 Event as the apiserver returns it (the fields used here). */
export interface KubeEvent extends KubeObject {
  involvedObject?: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  reportingComponent?: string;
  source?: { component?: string };
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

const FLUX_CONTROLLERS = new Set([
  'source-controller',
  'kustomize-controller',
  'helm-controller',
  'notification-controller',
  'image-reflector-controller',
  'image-automation-controller',
  'source-watcher',
]);

/** The FluxEvent for an Event a Flux controller wrote about a Flux object; undefined for any other Event. */
export function fluxEventFromKubeEvent(ev: KubeEvent, cluster: string): FluxEvent | undefined {
  const o = ev.involvedObject;
  const controller = ev.reportingComponent || ev.source?.component || '';
  if (!o?.apiVersion || !o.kind || !o.name || !FLUX_CONTROLLERS.has(controller)) return undefined;
  const group = apiGroup(o.apiVersion);
  if (!group.endsWith('.toolkit.fluxcd.io')) return undefined;
  const revision = ev.metadata.annotations?.[`${group}/revision`];
  return {
    cluster,
    object: {
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.namespace ?? '',
      name: o.name,
      ...(o.uid ? { uid: o.uid } : {}),
    },
    type: ev.type === 'Warning' ? 'Warning' : 'Normal',
    reason: ev.reason ?? '',
    message: ev.message ?? '',
    ...(revision ? { revision } : {}),
    controller,
    timestamp: ev.lastTimestamp || ev.eventTime || ev.firstTimestamp || new Date().toISOString(),
  };
}

export interface ObservedSession {
  readonly context: string;
  readonly client: Pick<ClusterClient, 'list' | 'watch' | 'server'>;
  readonly status: { role?: string };
}

export interface ObservedEventFeedOptions {
  sessions(): ObservedSession[];
  onChange(listener: () => void): () => void;
  publish(event: FluxEvent): void;
  logger: Logger;
  /** Pause before re-listing after a watch ends with an error (default 2 s). */
  retryMs?: number;
}

const EVENT_TYPE = { apiVersion: 'v1', kind: 'Event' };

/** Follows one session's Events until the signal aborts. */
async function follow(session: ObservedSession, opts: ObservedEventFeedOptions, signal: AbortSignal): Promise<void> {
  // uid → count seen, so a repeat (count bumped) is published and a replayed MODIFIED is not.
  const seen = new Map<string, number>();
  while (!signal.aborted) {
    try {
      const list = await session.client.list<KubeEvent>(EVENT_TYPE, { signal });
      for (const e of list.items) if (e.metadata.uid) seen.set(e.metadata.uid, e.count ?? 1);
      await session.client.watch<KubeEvent>(
        EVENT_TYPE,
        { resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 300, signal },
        (w) => {
          if (w.type !== 'ADDED' && w.type !== 'MODIFIED') return;
          const uid = w.object.metadata.uid ?? '';
          const count = w.object.count ?? 1;
          if ((seen.get(uid) ?? 0) >= count) return;
          seen.set(uid, count);
          const event = fluxEventFromKubeEvent(w.object, session.context);
          if (event) opts.publish(event);
        },
      );
    } catch (err) {
      // Aborted while listing or watching; TypeScript cannot see the signal change.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (signal.aborted) return;
      opts.logger.debug('event watch ended', { cluster: session.context, error: errorMessage(err) });
      await new Promise((r) => setTimeout(r, opts.retryMs ?? 2000));
    }
  }
}

export interface ObservedEventFeed {
  stop(): void;
}

/** Starts following Events in observing sessions, and stops when a session leaves observe mode or goes away. */
export function startObservedEventFeed(opts: ObservedEventFeedOptions): ObservedEventFeed {
  const running = new Map<string, AbortController>();
  const sync = (): void => {
    // Contexts of one cluster (same API server: another user, another default namespace) see the same Events: one
    // of them, the first by name, follows them, or each would reach the inbox once per context.
    const observing = new Map<string, ObservedSession>();
    const servers = new Set<string>();
    const candidates = opts.sessions().filter((s) => s.status.role === 'observing');
    for (const s of candidates.sort((a, b) => a.context.localeCompare(b.context))) {
      if (servers.has(s.client.server)) continue;
      servers.add(s.client.server);
      observing.set(s.context, s);
    }
    for (const [context, ac] of running) {
      if (!observing.has(context)) {
        ac.abort();
        running.delete(context);
      }
    }
    for (const [context, session] of observing) {
      if (running.has(context)) continue;
      const ac = new AbortController();
      running.set(context, ac);
      follow(session, opts, ac.signal).catch((err: unknown) =>
        opts.logger.warn('event feed failed', { cluster: context, error: errorMessage(err) }),
      );
    }
  };
  const off = opts.onChange(sync);
  sync();
  return {
    stop() {
      off();
      for (const ac of running.values()) ac.abort();
      running.clear();
    },
  };
}
