/**
 * Pushes the engine's changes to every attached client (a window, a WebSocket connection), each through its own
 * batchers, so a slow or closed client never holds up another. Graph changes collapse per uid and cluster changes per
 * context name, inbox changes per item (with the counts as they are when the batch goes); action progress, health and
 * menu commands are rare and go out at once.
 */
import type {
  ClusterInfo,
  EventChannel,
  EventOf,
  FluxObject,
  GraphDelta,
  InboxCounts,
  InboxItem,
  MuteRule,
  Removal,
  Workload,
} from '../contract/index.ts';
import type { Logger } from '../util/logger.ts';
import { type Batcher, createBatcher } from './batcher.ts';

/** Where one client's events go. `isOpen` is checked before every send; a closed sink is detached. */
export interface PushSink {
  readonly name: string;
  send<E extends EventChannel>(channel: E, payload: EventOf<E>): void;
  isOpen(): boolean;
}

export type GraphChange =
  | { type: 'object'; object: FluxObject }
  | { type: 'workload'; workload: Workload }
  | { type: 'removed'; removal: Removal };

/** An inbox item that is new or changed, or "too much changed: list again" (mute rules, retention). */
export type InboxPush = { type: 'item'; item: InboxItem } | { type: 'refresh' };

export interface BatchLimits {
  maxItems: number;
  maxDelayMs: number;
}

export const DEFAULT_BATCH: BatchLimits = { maxItems: 500, maxDelayMs: 100 };

export interface PushHub {
  /** Starts pushing to `sink`; returns the function that detaches it (also called when the sink is found closed). */
  attach(sink: PushSink): () => void;
  graph(change: GraphChange): void;
  cluster(info: ClusterInfo): void;
  inbox(change: InboxPush): void;
  /** Sends an unbatched event to every client. */
  broadcast<E extends EventChannel>(channel: E, payload: EventOf<E>): void;
  readonly clients: number;
  close(): void;
}

export function toDelta(changes: GraphChange[]): GraphDelta {
  const delta: GraphDelta = { objects: [], workloads: [], removed: [] };
  for (const c of changes) {
    if (c.type === 'object') delta.objects.push(c.object);
    else if (c.type === 'workload') delta.workloads.push(c.workload);
    else delta.removed.push(c.removal);
  }
  return delta;
}

function uidOf(c: GraphChange): string {
  return c.type === 'object' ? c.object.uid : c.type === 'workload' ? c.workload.uid : c.removal.uid;
}

interface Client {
  sink: PushSink;
  graph: Batcher<GraphChange>;
  clusters: Batcher<ClusterInfo>;
  inbox: Batcher<InboxPush>;
}

export interface PushHubOptions {
  logger: Logger;
  limits?: BatchLimits;
  /** The inbox's counts and mute rules now: every inbox delta carries the counts, a refresh the rules too. */
  inboxState?: () => { counts: InboxCounts; mutes: MuteRule[] };
}

const NO_COUNTS: InboxCounts = { unread: 0, unreadErrors: 0, unreadByCluster: {} };

export function createPushHub(opts: PushHubOptions): PushHub {
  const limits = opts.limits ?? DEFAULT_BATCH;
  const clients = new Map<PushSink, Client>();

  const detach = (sink: PushSink): void => {
    const client = clients.get(sink);
    if (!client) return;
    clients.delete(sink);
    client.graph.dispose();
    client.clusters.dispose();
    client.inbox.dispose();
    opts.logger.debug('push client detached', { client: sink.name });
  };

  const send = <E extends EventChannel>(sink: PushSink, channel: E, payload: EventOf<E>): void => {
    if (!sink.isOpen()) return detach(sink);
    try {
      sink.send(channel, payload);
    } catch (err) {
      opts.logger.warn('push to a client failed; detaching it', { client: sink.name, channel, error: err });
      detach(sink);
    }
  };

  return {
    attach(sink) {
      const client: Client = {
        sink,
        graph: createBatcher<GraphChange>({
          ...limits,
          keyOf: uidOf,
          flush: (items) => send(sink, 'graph:onDelta', toDelta(items)),
        }),
        clusters: createBatcher<ClusterInfo>({
          ...limits,
          keyOf: (c) => c.name,
          flush: (items) => send(sink, 'clusters:onChanged', items),
        }),
        inbox: createBatcher<InboxPush>({
          ...limits,
          keyOf: (c) => (c.type === 'item' ? `item:${c.item.id}` : 'refresh'),
          flush: (changes) => {
            const state = opts.inboxState?.() ?? { counts: NO_COUNTS, mutes: [] };
            const refresh = changes.some((c) => c.type === 'refresh');
            send(sink, 'inbox:onChanged', {
              items: changes.flatMap((c) => (c.type === 'item' ? [c.item] : [])),
              counts: state.counts,
              refresh,
              ...(refresh && { mutes: state.mutes }),
            });
          },
        }),
      };
      clients.set(sink, client);
      return () => detach(sink);
    },
    graph(change) {
      for (const c of clients.values()) c.graph.push(change);
    },
    cluster(info) {
      for (const c of clients.values()) c.clusters.push(info);
    },
    inbox(change) {
      for (const c of clients.values()) c.inbox.push(change);
    },
    broadcast(channel, payload) {
      for (const c of [...clients.values()]) {
        // Keep order: a client must see the graph state an event refers to before the event itself.
        c.graph.flush();
        c.clusters.flush();
        send(c.sink, channel, payload);
      }
    },
    get clients() {
      return clients.size;
    },
    close() {
      for (const sink of [...clients.keys()]) detach(sink);
    },
  };
}
