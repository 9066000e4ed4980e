/**
 * Binds the contract to an engine: the router for requests, the push hub for events and the health monitor for the
 * tray. Both shells (main/electron and main/headless) start from this, so they behave the same.
 */
import type { AppCommand, Capabilities, ClusterInfo, HealthSummary } from '../contract/index.ts';
import type { Logger } from '../util/logger.ts';
import type { EngineChange, InboxChange, Workbench } from '../workbench/index.ts';
import { withState } from './flux-state.ts';
import { createHandlers } from './handlers.ts';
import { createHealthMonitor } from './health-monitor.ts';
import { type BatchLimits, createPushHub, type PushSink } from './push-hub.ts';
import { createRouter, type Router } from './router.ts';

/** Read/acknowledge changes of more items than this are pushed as "list again". */
const MAX_STATE_ITEMS = 200;
/** The longest the start-up reconciles wait for a UI to read its first graph (ms). */
const UI_FIRST_MS = 3000;
/** After that read: the renderer's projection, layout and first render of it (0.3–0.5 s in bench serve's marks). */
const FIRST_RENDER_MS = 500;

export interface ApiOptions {
  port: Workbench;
  capabilities: Capabilities;
  logger: Logger;
  limits?: BatchLimits;
  healthIntervalMs?: number;
  /** Validate responses against the contract too (tests and development). */
  checkResponses?: boolean;
  /** How long the start-up reconciles may wait for a UI's first graph (ms; default 3000, 0: not at all). */
  uiFirstMs?: number;
}

export interface FluxdeckApiServer {
  router: Router;
  /** Starts pushing events to a client; returns the detach function. */
  attach(sink: PushSink): () => void;
  health(): HealthSummary;
  onHealth(listener: (h: HealthSummary) => void): () => void;
  /** Forwards a menu, tray or notification command to every window. */
  command(command: AppCommand['command'], extra?: Omit<AppCommand, 'command'>): void;
  readonly clients: number;
  /** Stops listening to the engine and detaches every client. Does not stop the engine. */
  close(): void;
}

export function createApi(opts: ApiOptions): FluxdeckApiServer {
  const { port, logger } = opts;
  const hub = createPushHub({
    logger,
    ...(opts.limits && { limits: opts.limits }),
    inboxState: () => ({ counts: port.inbox.counts(), mutes: port.inbox.mutes() }),
  });
  const clusters = new Map<string, ClusterInfo>();
  const connected = (): number => [...clusters.values()].filter((c) => c.state === 'connected').length;
  const health = createHealthMonitor(port, connected, opts.healthIntervalMs);
  const noteClusters = (infos: ClusterInfo[]): void => {
    for (const info of infos) clusters.set(info.name, info);
    health.invalidate();
  };

  const onChange = (change: EngineChange): void => {
    switch (change.type) {
      case 'object':
        hub.graph({ type: 'object', object: withState(change.object) });
        break;
      case 'workload':
        hub.graph({ type: 'workload', workload: change.workload });
        break;
      case 'removed':
        hub.graph({ type: 'removed', removal: { what: change.what, uid: change.uid, cluster: change.cluster } });
        break;
      case 'cluster':
        clusters.set(change.cluster.name, change.cluster);
        hub.cluster(change.cluster);
        break;
      case 'engine':
        break;
    }
    health.invalidate();
  };
  const unsubscribe = port.subscribe(onChange);
  const offInbox = port.inbox.onChange((change) => pushInbox(change));
  function pushInbox(change: InboxChange): void {
    switch (change.type) {
      case 'added':
      case 'repeated':
      case 'resolved':
        return hub.inbox({ type: 'item', item: change.item });
      case 'state':
        // "Mark all read" touches every item: past a page of them, clients list again instead.
        if (change.ids.length > MAX_STATE_ITEMS) return hub.inbox({ type: 'refresh' });
        for (const id of change.ids) {
          const item = port.inbox.get(id);
          if (item) hub.inbox({ type: 'item', item });
        }
        return;
      case 'mutes':
      case 'pruned':
        return hub.inbox({ type: 'refresh' });
    }
  }
  const offHealth = health.onChange((h) => hub.broadcast('app:onHealth', h));
  port
    .listClusters()
    .then(noteClusters, (err: unknown) =>
      logger.warn('could not list kubeconfig contexts for the health summary', { error: err }),
    );

  // UI first: a shell with a UI starts the engine's controllers beside a window or page that is loading. On 2 cores
  // the start-up reconciles of every object took the CPU the page needed for its first graph (bench serve), and a
  // second later changes nothing for them, so they wait until a UI has read and drawn its first graph (or a bound).
  const releaseStart = port.holdReconciles(opts.uiFirstMs ?? UI_FIRST_MS);
  const handlers = createHandlers({
    port,
    capabilities: opts.capabilities,
    health,
    noteClusters,
    broadcast: (channel, payload) => hub.broadcast(channel, payload),
  });
  const snapshot = handlers['graph:snapshot'];
  handlers['graph:snapshot'] = (...args) => {
    setTimeout(releaseStart, FIRST_RENDER_MS).unref();
    return snapshot(...args);
  };

  return {
    router: createRouter(handlers, { logger, ...(opts.checkResponses && { checkResponses: true }) }),
    attach: (sink) => hub.attach(sink),
    health: () => health.current(),
    onHealth: (listener) => health.onChange(listener),
    command: (command, extra) => hub.broadcast('app:onCommand', { ...extra, command }),
    get clients() {
      return hub.clients;
    },
    close() {
      releaseStart();
      unsubscribe();
      offInbox();
      offHealth();
      health.dispose();
      hub.close();
    },
  };
}
